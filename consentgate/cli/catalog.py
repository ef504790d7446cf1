"""``consentgate catalog coverage|lookup``: what the service catalog knows, measured and asked.

``coverage`` prints, per third-party-web category, the share of its entities and the share of
their HTTP Archive occurrences that the catalog (with the site's config) gates, and the most
common ones it does not. ``lookup HOST_OR_URL`` says which service answers for a host or URL, in
which category, and from which source (built-in, third-party-web, Open Cookie Database, site
config, or block mode's unknown host).
"""

from __future__ import annotations

import argparse
import json

from ..catalog.catalog import Catalog
from ..catalog.coverage import TRACKING, coverage, weighted_total
from ..catalog.urls import normal_host
from .args import add_actions, add_config_options, description, read_config, usage

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``catalog`` command and its actions."""
    actions = add_actions(
        subparsers,
        "catalog",
        "what the service catalog knows",
        "Measure the service catalog against third-party-web's data, or ask it about a host or URL.",
    )
    cov = actions.add_parser(
        "coverage", help="share of the web's third parties gated", description=description(coverage_command)
    )
    add_config_options(cov)
    cov.add_argument(
        "--top", type=int, default=5, help="unrecognised entities listed per category (default 5)"
    )
    cov.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cov.set_defaults(func=coverage_command)
    look = actions.add_parser(
        "lookup", help="which service answers for a host or URL", description=description(lookup_command)
    )
    add_config_options(look)
    look.add_argument("target", metavar="HOST_OR_URL")
    look.add_argument(
        "--host", dest="request_host", default="", help="the request's host (first party in block mode)"
    )
    look.set_defaults(func=lookup_command)


def coverage_command(args: argparse.Namespace) -> int:
    """Per third-party-web category: the share of entities, and of their HTTP Archive
    occurrences, that the catalog gates; then the most common ones it does not."""
    if args.top < 0:
        return usage("--top must be 0 or more.")
    catalog = Catalog.builtin().with_config(
        read_config(args.config, database=getattr(args, "database", None))
    )
    report = coverage(catalog, catalog.entities)
    ordered = sorted(report.values(), key=lambda r: (r.category not in TRACKING, -r.occurrences))
    total = weighted_total(report)
    if args.json:
        data = {
            "tracking_weighted": round(total, 4),
            "categories": {
                r.category: {
                    "tracking": r.category in TRACKING,
                    "entities": r.entities,
                    "gated_entities": r.gated_entities,
                    "share": round(r.share, 4),
                    "occurrences": r.occurrences,
                    "gated_occurrences": r.gated_occurrences,
                    "weighted": round(r.weighted, 4),
                    "unrecognised": [[e.name, e.occurrences] for e in r.missed[: args.top]],
                }
                for r in ordered
            },
        }
        print(json.dumps(data, indent=2))
        return 0
    print(
        f"{'category':<18} {'entities':>9} {'gated':>7} {'weighted':>9}  top not gated (HTTP Archive pages)"
    )
    for r in ordered:
        mark = "" if r.category in TRACKING else " (not imported wholesale)"
        missed = ", ".join(f"{e.name} ({e.occurrences})" for e in r.missed[: args.top]) or "-"
        print(f"{r.category:<18} {r.entities:>9} {r.share:>7.1%} {r.weighted:>9.1%}  {missed}{mark}")
    print(f"tracking categories ({', '.join(TRACKING)}): {total:.1%} of occurrences gated")
    return 0


def lookup_command(args: argparse.Namespace) -> int:
    """Which service answers for a host or URL: its id, name, provider, category and source."""
    target = args.target.strip()
    config = read_config(args.config, database=getattr(args, "database", None))
    catalog = Catalog.builtin().with_config(config)
    if args.request_host:
        catalog = catalog.for_request_host(args.request_host.lower())
    if "/" in target or "\\" in target:
        url = target if "//" in target else "https://" + target
        host = normal_host(url.split("//", 1)[1].split("/", 1)[0])
        service = catalog.match_url(url)
    else:
        host = normal_host(target)
        service = catalog.match_host(host)
    if not host:
        return usage(f"{target!r} is neither a host nor an http(s) URL.")
    if service is None:
        why = "first party or allowed" if catalog.policy.block else "unknown hosts are allowed"
        print(f"{host}: no service ({why}); its tags run")
        return 0
    print(f"{host}: {service.id} ({service.name}, {service.provider or 'unknown provider'})")
    print(f"  category: {service.category}")
    print(f"  source:   {catalog.source(service)}")
    return 0
