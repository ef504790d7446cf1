"""``consentgate scan URL_OR_FILE``: list every tracker a site carries, and fail on unknown ones.

Exit status 0 when everything found is classified, 1 when a third-party host or a cookie is
unclassified (so a site's CI fails when a new tracker appears) or the start page could not be
scanned, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from ..catalog import Catalog
from ..scan import CookieFinding, Item, ScanReport, scan
from .args import DEFAULT_CONFIG, read_config

__all__ = ["register", "render_table", "run"]


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def _depth(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 600")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``scan`` command."""
    parser = subparsers.add_parser(
        "scan",
        help="find every tracker on a site or HTML file",
        description=(
            "Crawl a site (same-origin links) or read a local HTML file, and list every third-party "
            "script, inline snippet, frame, pixel, preload and cookie, by service and category. "
            "Exit status 1 when anything is unclassified."
        ),
    )
    parser.add_argument("target", metavar="URL_OR_FILE", help="an http(s) URL or a local HTML file")
    parser.add_argument(
        "--config", metavar="PATH", help=f"the site's config (default: ./{DEFAULT_CONFIG} if it exists)"
    )
    parser.add_argument(
        "--max-pages", metavar="N", type=_positive, default=50, help="pages to fetch at most (50)"
    )
    parser.add_argument(
        "--max-depth",
        metavar="N",
        type=_depth,
        default=3,
        help="links to follow from the start page (3; 0: one page)",
    )
    parser.add_argument("--concurrency", metavar="N", type=_positive, default=4, help="requests at once (4)")
    parser.add_argument(
        "--timeout", metavar="S", type=_seconds, default=10.0, help="seconds per request (10)"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output (table)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Scan and print the report; 1 when anything is unclassified or the start page failed."""
    config = read_config(args.config)
    catalog = Catalog.builtin().with_config(config)
    bar = _ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = asyncio.run(
            scan(
                args.target,
                catalog=catalog,
                config=config,
                max_pages=args.max_pages,
                max_depth=args.max_depth,
                concurrency=args.concurrency,
                request_timeout=args.timeout,
                progress=bar.update if bar else None,
            )
        )
    finally:
        if bar is not None:
            bar.clear()
    if args.format == "json":
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render_table(report))
    start_failed = bool(report.pages and report.pages[0].problem)
    if start_failed:
        print(f"consentgate: error: {report.pages[0].url}: {report.pages[0].problem}", file=sys.stderr)
    return 1 if report.failed or start_failed else 0


class _ProgressBar:
    """A one-line progress bar on a terminal, redrawn in place; gone when the scan ends."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def update(self, done: int, total: int) -> None:
        filled = self.WIDTH * done // total if total else 0
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\rscanning [{bar}] {done}/{total} pages")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r" + " " * (self.WIDTH + 40) + "\r")
        self.stream.flush()


# --- the table ------------------------------------------------------------------------------------


def render_table(report: ScanReport) -> str:
    """The report as text for people: services by category, unclassified hosts, broken pages."""
    out: list[str] = []
    scanned = sum(1 for p in report.pages if not p.problem)
    out.append(
        f"consentgate scan {report.target}: {scanned} page{'s' if scanned != 1 else ''} scanned, "
        f"{len(report.broken_pages)} with problems"
    )
    for category, findings in report.by_category():
        out.append("")
        out.append(f"== {category} ==")
        for finding in findings:
            service = finding.service
            provider = f" ({service.provider})" if service.provider else ""
            out.append(f"  {service.name}{provider} [{service.id}]")
            for item in finding.items:
                out.extend(_item_lines(item, category))
            for cookie in finding.cookies:
                out.append(_cookie_line(cookie))
    if report.unclassified:
        out.append("")
        out.append(
            "== UNCLASSIFIED third-party hosts (the gate lets these run, or with [blocking] "
            'unknown_third_party = "block" keeps them inert) =='
        )
        for entry in report.unclassified.values():
            out.append(f"  {entry.host}")
            for item in entry.items:
                out.extend(_item_lines(item, None))
            out.append("    classify it in consentgate.toml:")
            out.extend("      " + line for line in entry.snippet.splitlines())
    if report.unknown_cookies:
        out.append("")
        out.append("== UNCLASSIFIED cookies (neither the catalog nor the Open Cookie Database knows them) ==")
        for cookie in report.unknown_cookies:
            out.append(f"  {cookie.name} ({cookie.lifetime}) set by {', '.join(cookie.pages)}")
        names = ", ".join(f'"{c.name}"' for c in report.unknown_cookies)
        out.append("    classify them in consentgate.toml (e.g. as the site's own, necessary cookies):")
        out.append("      [services.site]")
        out.append('      name = "This site"')
        out.append('      category = "necessary"')
        out.append(f"      cookies = [{names}]")
    if report.not_followed:
        out.append("")
        out.append(
            f"page limit reached: {len(report.not_followed)} more same-origin link(s) not followed "
            "(raise --max-pages to scan them)"
        )
    if report.broken_pages:
        out.append("")
        out.append("== pages that could not be scanned ==")
        for page in report.broken_pages:
            out.append(f"  {page.url}: {page.problem}")
    out.append("")
    verdict = (
        f"{len(report.unclassified)} unclassified host(s), {len(report.unknown_cookies)} unclassified cookie(s)"
        if report.failed
        else "everything found is classified"
    )
    out.append(f"result: {verdict}")
    return "\n".join(out) + "\n"


_KIND_WORDS = {
    "script": "script",
    "inline": "inline",
    "frame": "frame",
    "embed": "embed",
    "pixel": "pixel",
    "media": "media",
    "preload": "preload",
    "stylesheet": "style",
}


def _item_lines(item: Item, category: str | None) -> list[str]:
    what = item.url or item.excerpt
    if category is None:
        verdict = "NOT gated (unclassified)"
    elif item.gated:
        verdict = f"inert until {category} is granted"
    elif category == "necessary":
        verdict = "runs (necessary)"
    elif item.kind == "inline":
        verdict = "NOT gated: the inline script is not a known snippet"
    else:
        verdict = f"NOT gated: the gate leaves <{item.kind}> tags alone"
    if item.inert_in_page:
        verdict += "; already inert in the page"
    where = ", ".join(f"{o.page}:{o.line}" for o in item.occurrences[:8])
    if len(item.occurrences) > 8:
        where += f" and {len(item.occurrences) - 8} more"
    return [f"    {_KIND_WORDS.get(item.kind, item.kind):<8} {what}", f"             {verdict}; at {where}"]


def _cookie_line(cookie: CookieFinding) -> str:
    lifetime = cookie.lifetime or "lifetime unknown"
    source = "Set-Cookie" if cookie.source == "set-cookie" else "set by its script"
    if cookie.category == "necessary":
        verdict = "kept (necessary)"
    elif cookie.gated:
        verdict = f"blocked until {cookie.category} is granted"
    else:
        verdict = "NOT blocked"
    return f"    cookie   {cookie.name} ({lifetime}, {source}): {verdict}"
