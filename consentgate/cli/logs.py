"""``consentgate logs stats`` and ``consentgate logs rollup``: the request-log aggregates.

``stats`` prints the aggregates of a period (rolled-up hours from the store plus the raw lines of
the window not rolled up yet); ``rollup`` rolls up every raw line older than the window now (the
server's scheduler does it on its own; ``consentgate prune`` does it too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from ..config import Config, load_config
from ..logs.rollup import roll_up
from ..logs.stats import Stats, collect_stats
from ..store import open_store
from .args import parse_time

__all__ = ["register"]

DEFAULT_CONFIG = "consentgate.toml"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``logs stats`` and ``logs rollup`` to the ``consentgate`` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help=f"config file (default: ./{DEFAULT_CONFIG} if it exists)")
    common.add_argument("--database", help="database URL; overrides the config's 'database'")
    parser = subparsers.add_parser(
        "logs", help="request-log aggregates", description="The minimal request log's aggregates."
    )
    actions = parser.add_subparsers(dest="logs_action", metavar="ACTION")
    actions.required = True
    stats = actions.add_parser(
        "stats",
        parents=[common],
        help="print the aggregates of a period",
        description="Print request counts, latency and consent rates of a period (default: the last 24 hours).",
    )
    stats.add_argument("--since", type=parse_time, help="from this time (ISO 8601 UTC or epoch seconds)")
    stats.add_argument("--until", type=parse_time, help="before this time (default: now)")
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    stats.set_defaults(func=_stats)
    rollup = actions.add_parser(
        "rollup",
        parents=[common],
        help="roll up raw lines older than the window now",
        description="Roll every raw request line older than 'logging.window_hours' up into the store "
        "and delete it.",
    )
    rollup.set_defaults(func=_rollup)


def _config(args: argparse.Namespace) -> Config:
    path = args.config
    if path is None and Path(DEFAULT_CONFIG).exists():
        path = DEFAULT_CONFIG
    return load_config(path)


def _stats(args: argparse.Namespace) -> int:
    config = _config(args)
    until = args.until if args.until is not None else time.time()
    since = args.since if args.since is not None else until - 24 * 3600
    if since >= until:
        print("consentgate: error: --since must be before --until", file=sys.stderr)
        return 2

    async def run() -> Stats:
        store = open_store(args.database or config.database, migrate=False)
        await store.open()
        try:
            return await collect_stats(config.logging, store, since=since, until=until)
        finally:
            await store.close()

    stats = asyncio.run(run())
    if args.json:
        print(json.dumps(stats.to_json(), indent=2))
    else:
        print(format_stats(stats))
    return 0


def _rollup(args: argparse.Namespace) -> int:
    config = _config(args)
    if config.logging.destination != "file":
        print("nothing to roll up: 'logging.destination' is not 'file'")
        return 0

    async def run() -> int:
        store = open_store(args.database or config.database, migrate=False)
        await store.open()
        try:
            result = await roll_up(config.logging, store, now=time.time())
        finally:
            await store.close()
        print(rollup_summary(result.files, result.rolled, result.kept, result.malformed))
        for error in result.errors:
            print(f"consentgate: error: {error}", file=sys.stderr)
        return 1 if result.errors else 0

    return asyncio.run(run())


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
