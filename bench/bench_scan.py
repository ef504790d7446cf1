"""How fast `consentgate scan` reads a site: the demo marketing site crawled over loopback, and the
tokenizer on its own.

Serves the bare Callwise demo site (9 pages with their vendor tags) under uvicorn in a subprocess
and crawls it with :func:`consentgate.scanner.scan` at several concurrency levels (median of
``--rounds`` full crawls), then times :func:`consentgate.scan.tags.find_tags` plus classification on
the home page alone. The crawl is bound by one uvicorn worker on a 2-core machine, so read it as
"a 500-page site takes about N seconds", not as a limit of the scanner.

    .venv/bin/python bench/bench_scan.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from _harness import print_table, uvicorn_server
from starlette.types import ASGIApp

from consentgate.catalog.catalog import Catalog
from consentgate.cli.demo import load_demo_module
from consentgate.config import Config
from consentgate.scan import ScanReport, scan
from consentgate.scan.tags import find_tags


def site_app() -> ASGIApp:
    """The demo site without the gate (uvicorn factory)."""
    site: ASGIApp = load_demo_module().build_site()
    return site


async def _crawl(url: str, concurrency: int) -> tuple[float, ScanReport]:
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        report = await scan(url, client=client, concurrency=concurrency, max_pages=100)
        return time.perf_counter() - started, report


def _tokenizer(rounds: int) -> tuple[float, float, int]:
    page = load_demo_module().render_page("/")
    catalog = Catalog.builtin().with_config(Config())
    runs = []
    for _ in range(rounds):
        started = time.perf_counter()
        tags = find_tags(page)
        for tag in tags:
            if tag.kind == "inline":
                catalog.match_inline(tag.text)
            elif tag.kind != "link":
                catalog.match_url(tag.url)
        runs.append(time.perf_counter() - started)
    best = statistics.median(runs)
    return best * 1000, len(page.encode()) / best / 1e6, len(tags)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with uvicorn_server("bench_scan:site_app") as server:
        for concurrency in (1, 4, 8):
            times = []
            pages = 0
            for _ in range(args.rounds):
                seconds, report = asyncio.run(_crawl(server.url + "/", concurrency))
                times.append(seconds)
                pages = len(report.pages)
            median = statistics.median(times)
            rows.append(
                [
                    f"crawl, concurrency {concurrency}",
                    str(pages),
                    f"{median * 1000:.0f}",
                    f"{pages / median:.0f}",
                ]
            )
    print_table(
        f"consentgate scan of the demo site over loopback (median of {args.rounds} crawls)",
        ["run", "pages", "ms per crawl", "pages/s"],
        rows,
    )
    ms, mb_per_s, tags = _tokenizer(args.rounds * 20)
    print_table(
        "tokenizer + classification of the demo home page (no I/O)",
        ["page", "tags found", "ms per page", "MB/s"],
        [["/", str(tags), f"{ms:.2f}", f"{mb_per_s:.1f}"]],
    )


if __name__ == "__main__":
    main()
