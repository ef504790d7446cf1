"""Ledger commands: ``migrate``, ``verify``, ``export`` and ``prune``.

Each opens the store named by ``--database`` or by the config (``--config``, else
``./consentgate.toml`` if it exists, else the defaults). Only ``migrate`` changes the schema; the
others refuse an out-of-date one.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from typing import Any

from ..config import Config
from ..ledger import dsr
from ..ledger.export import Progress, export_records
from ..ledger.retention import cutoff, prune
from ..ledger.verify import verify
from ..logs.rollup import roll_up
from ..store import Store, open_store
from ..store.analytics_base import VerifyRun
from .args import (
    add_config_options,
    config_command,
    description,
    open_output,
    opened_store,
    parse_time,
    store_command,
    usage,
)
from .logs import rollup_summary

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``migrate``, ``verify``, ``export`` and ``prune`` to the ``consentgate`` parser."""
    parser = subparsers.add_parser(
        "migrate", help="create or upgrade the database schema", description=description(_migrate)
    )
    add_config_options(parser)
    parser.set_defaults(func=config_command(_migrate))

    parser = subparsers.add_parser(
        "verify", help="check the ledger's hash chains", description=description(_verify)
    )
    add_config_options(parser)
    parser.set_defaults(func=store_command(_verify))

    parser = subparsers.add_parser("export", help="export consent records", description=description(_export))
    add_config_options(parser)
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="default: jsonl")
    parser.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    parser.add_argument("--since", type=parse_time, help="from this time on (ISO 8601 UTC or epoch seconds)")
    parser.add_argument("--until", type=parse_time, help="before this time (ISO 8601 UTC or epoch seconds)")
    parser.add_argument(
        "--consent-id", action="append", dest="consent_ids", metavar="ID", help="only this consent id"
    )
    parser.add_argument(
        "--subject", help="only this linked identifier (email:<sha256>, phone:<sha256>, user:<id>)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    parser.set_defaults(func=config_command(_export))

    parser = subparsers.add_parser(
        "prune", help="remove expired consent records", description=description(_prune)
    )
    add_config_options(parser)
    parser.set_defaults(func=store_command(_prune))


async def _migrate(args: argparse.Namespace, config: Config) -> int:
    """Create the ledger's tables, or apply the migrations it lacks (never destructive)."""
    # Not opened: opening refuses an out-of-date schema, the very thing this command fixes.
    store = open_store(config.database, migrate=False)
    applied = await store.migrate()
    version = await store.schema_version()
    if applied:
        print(f"migrated to schema version {version} (applied {', '.join(map(str, applied))})")
    else:
        print(f"schema is up to date (version {version})")
    return 0


async def _verify(args: argparse.Namespace, config: Config, store: Store) -> int:
    """Walk every hash chain; report edited, deleted or reordered records by record id (exit 1)."""
    bar = Progress(await store.count_records(), label="verifying")
    started = time.time()
    report = await verify(store, on_record=bar.update)
    bar.finish(report.records)
    # Kept for the dashboard's operations page (the last verify result).
    detail = "\n".join(str(problem) for problem in report.problems[:20])
    run = VerifyRun(started, time.time(), report.records, report.chains, len(report.problems), detail, "cli")
    await store.add_verify_run(run)
    for problem in report.problems:
        print(problem)
    summary = (
        f"{report.records} records in {report.chains} chains ({report.tombstones} tombstones)"
        if report.records
        else "the ledger is empty"
    )
    if report.ok:
        print(f"ok: {summary}, every chain verifies")
        return 0
    print(f"consentgate: error: {len(report.problems)} problems in {summary}", file=sys.stderr)
    return 1


async def _export(args: argparse.Namespace, config: Config) -> int:
    """Stream consent records as JSON lines or CSV, oldest first, in constant memory."""
    if args.since is not None and args.until is not None and args.since >= args.until:
        return usage("--since must be before --until")
    async with opened_store(config) as store:
        consent_ids: list[str] | None = list(args.consent_ids) if args.consent_ids else None
        if args.subject:
            linked = await dsr.resolve_subject(store, args.subject)
            consent_ids = [c for c in consent_ids if c in linked] if consent_ids is not None else linked
        filters: dict[str, Any] = {"since": args.since, "until": args.until, "consent_ids": consent_ids}
        with open_output(args.output) as out:
            bar = None
            if not args.no_progress and sys.stderr.isatty():
                bar = Progress(await store.count_records(**filters))
            count = await export_records(store, out, fmt=args.format, progress=bar, **filters)
    if args.output != "-":
        print(f"exported {count} records to {args.output}", file=sys.stderr)
    return 0


async def _prune(args: argparse.Namespace, config: Config, store: Store) -> int:
    """Remove the consents whose latest record is older than the retention ('ledger.retention_days')."""
    removed = await prune(store, config)
    # The request log's 24-hour window: raw lines older than it become aggregates.
    rolled = await roll_up(config.logging, store, now=time.time())
    before = datetime.fromtimestamp(cutoff(config, datetime.now(UTC).timestamp()), UTC)
    print(f"pruned {removed} records of consents last recorded before {before:%Y-%m-%d %H:%M} UTC")
    if config.logging.destination == "file":
        print(rollup_summary(rolled.files, rolled.rolled, rolled.kept, rolled.malformed))
    for error in rolled.errors:
        print(f"consentgate: error: {error}", file=sys.stderr)
    return 1 if rolled.errors else 0
