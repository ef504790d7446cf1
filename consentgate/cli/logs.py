"""``consentgate logs stats`` and ``consentgate logs rollup``: the request-log aggregates.

``stats`` prints the aggregates of a period (rolled-up hours from the store plus the raw lines of
the window not rolled up yet); ``rollup`` rolls up every raw line older than the window now (the
server's scheduler does it on its own; ``consentgate prune`` does it too).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from ..config import Config
from ..logs.rollup import roll_up
from ..logs.stats import Stats, collect_stats
from .args import add_actions, add_config_options, config_command, opened_store, parse_time, usage

__all__ = ["format_stats", "register", "rollup_summary"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``logs stats`` and ``logs rollup`` to the ``consentgate`` parser."""
    actions = add_actions(
        subparsers, "logs", "request-log aggregates", "The minimal request log's aggregates."
    )
    stats = actions.add_parser(
        "stats",
        help="print the aggregates of a period",
        description="Print request counts, latency and consent rates of a period (default: the last 24 hours).",
    )
    add_config_options(stats)
    stats.add_argument("--since", type=parse_time, help="from this time (ISO 8601 UTC or epoch seconds)")
    stats.add_argument("--until", type=parse_time, help="before this time (default: now)")
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    stats.set_defaults(func=config_command(_stats))
    rollup = actions.add_parser(
        "rollup",
        help="roll up raw lines older than the window now",
        description="Roll every raw request line older than 'logging.window_hours' up into the store "
        "and delete it.",
    )
    add_config_options(rollup)
    rollup.set_defaults(func=config_command(_rollup))


async def _stats(args: argparse.Namespace, config: Config) -> int:
    until = args.until if args.until is not None else time.time()
    since = args.since if args.since is not None else until - 24 * 3600
    if since >= until:
        return usage("--since must be before --until")
    async with opened_store(config) as store:
        stats = await collect_stats(config.logging, store, since=since, until=until)
    if args.json:
        print(json.dumps(stats.to_json(), indent=2))
    else:
        print(format_stats(stats))
    return 0


async def _rollup(args: argparse.Namespace, config: Config) -> int:
    if config.logging.destination != "file":
        print("nothing to roll up: 'logging.destination' is not 'file'")
        return 0
    async with opened_store(config) as store:
        result = await roll_up(config.logging, store, now=time.time())
    print(rollup_summary(result.files, result.rolled, result.kept, result.malformed))
    for error in result.errors:
        print(f"consentgate: error: {error}", file=sys.stderr)
    return 1 if result.errors else 0


def rollup_summary(files: int, rolled: int, kept: int, malformed: int) -> str:
    """One line saying what a roll-up did (also printed by ``consentgate prune``)."""
    return (
        f"rolled up {rolled} request-log lines from {files} files"
        f" ({kept} lines still inside the window kept, {malformed} unreadable lines deleted)"
    )


def format_stats(stats: Stats) -> str:
    """The aggregates as a plain-text report."""
    data = stats.to_json()
    out = [
        f"requests {data['since']} to {data['until']}: {data['requests']:,} requests, {data['bytes']:,} bytes",
    ]
    latency = data["latency_ms"]
    if latency["p50"] is not None:
        out.append(
            f"latency (ms, bucket upper bounds): p50 {latency['p50']:g}  p90 {latency['p90']:g}"
            f"  p99 {latency['p99']:g}"
        )
    for title, key in (
        ("status", "status"),
        ("method", "methods"),
        ("path", "paths"),
        ("browser", "browsers"),
        ("os", "os"),
        ("device", "devices"),
        ("bot", "bots"),
    ):
        section: dict[str, int] = data[key]
        if section:
            out.append(f"\n{title}")
            out.extend(f"  {count:>10,}  {name}" for name, count in section.items())
    consent: dict[str, Any] = data["consent"]
    overall = consent["all"]
    if overall["views"]:
        out.append(f"\nconsent per page view (bots left out; {overall['views']:,} views)")
        out.append(_rates_line("all", overall))
        out.extend(_rates_line(region, rates) for region, rates in consent["regions"].items())
    if data["hourly"]:
        out.append("\nrequests per hour")
        out.extend(f"  {row['hour']}  {row['requests']:>10,}" for row in data["hourly"])
    return "\n".join(out)


def _rates_line(name: str, rates: dict[str, Any]) -> str:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 100:.1f}%"

    granted = "  ".join(f"{cat} {pct(share)}" for cat, share in rates["granted"].items())
    return (
        f"  {name:<8} views {rates['views']:>8,}  decided {pct(rates['decided'])}  gpc {pct(rates['gpc'])}"
        f"  {granted}"
    )
