"""Ledger commands: ``migrate``, ``verify``, ``export``, ``prune`` and ``dsr access|delete|export``.

Each opens the store named by ``--database`` or by the config (``--config``, else
``./consentgate.toml`` if it exists, else the defaults). Only ``migrate`` changes the schema; the
others refuse an out-of-date one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ..config import Config, load_config
from ..errors import HTTPError
from ..ledger import dsr
from ..ledger.export import Progress, export_records
from ..ledger.retention import cutoff, prune
from ..ledger.verify import verify
from ..logs.rollup import roll_up
from ..store import Store, open_store
from .args import parse_time
from .logs import rollup_summary

__all__ = ["register"]

DEFAULT_CONFIG = "consentgate.toml"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ledger commands to the ``consentgate`` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help=f"config file (default: ./{DEFAULT_CONFIG} if it exists)")
    common.add_argument("--database", help="database URL; overrides the config's 'database'")

    parser = subparsers.add_parser(
        "migrate", parents=[common], help="create or upgrade the database schema", description=_doc(_migrate)
    )
    parser.set_defaults(func=_runner(_migrate))

    parser = subparsers.add_parser(
        "verify", parents=[common], help="check the ledger's hash chains", description=_doc(_verify)
    )
    parser.set_defaults(func=_runner(_verify))

    parser = subparsers.add_parser(
        "export", parents=[common], help="export consent records", description=_doc(_export)
    )
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
    parser.set_defaults(func=_runner(_export))

    parser = subparsers.add_parser(
        "prune", parents=[common], help="remove expired consent records", description=_doc(_prune)
    )
    parser.set_defaults(func=_runner(_prune))

    parser = subparsers.add_parser(
        "dsr", help="data-subject requests", description="Data-subject requests on the consent ledger."
    )
    actions = parser.add_subparsers(dest="dsr_action", metavar="ACTION")
    actions.required = True
    for name, fn, help_ in (
        ("access", _dsr_access, "print every record of a subject (JSON)"),
        ("export", _dsr_export, "write a subject's data as a portable JSON file"),
        ("delete", _dsr_delete, "reduce every record of a subject to an anonymous tombstone"),
    ):
        sub = actions.add_parser(name, parents=[common], help=help_, description=_doc(fn))
        sub.add_argument("subject", help="a consent id, or email:<sha256>, phone:<sha256>, user:<id>")
        if name == "export":
            sub.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
        if name == "delete":
            sub.add_argument("--yes", action="store_true", help="confirm the deletion")
        sub.set_defaults(func=_runner(fn))


# --- commands ---------------------------------------------------------------------------------------


async def _migrate(args: argparse.Namespace, config: Config) -> int:
    """Create the ledger's tables, or apply the migrations it lacks (never destructive)."""
    store = open_store(_url(args, config), migrate=False)
    applied = await store.migrate()
    version = await store.schema_version()
    if applied:
        print(f"migrated to schema version {version} (applied {', '.join(map(str, applied))})")
    else:
        print(f"schema is up to date (version {version})")
    return 0


async def _verify(args: argparse.Namespace, config: Config) -> int:
    """Walk every hash chain; report edited, deleted or reordered records by record id (exit 1)."""
    async with _opened(args, config) as store:
        bar = Progress(await store.count_records(), label="verifying")
        report = await verify(store, on_record=bar.update)
        bar.finish(report.records)
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
        return _usage("--since must be before --until")
    async with _opened(args, config) as store:
        consent_ids: list[str] | None = list(args.consent_ids) if args.consent_ids else None
        if args.subject:
            linked = await dsr.resolve_subject(store, args.subject)
            consent_ids = [c for c in consent_ids if c in linked] if consent_ids is not None else linked
        filters: dict[str, Any] = {"since": args.since, "until": args.until, "consent_ids": consent_ids}
        with _output(args.output) as out:
            bar = None
            if not args.no_progress and sys.stderr.isatty():
                bar = Progress(await store.count_records(**filters))
            count = await export_records(store, out, fmt=args.format, progress=bar, **filters)
    if args.output != "-":
        print(f"exported {count} records to {args.output}", file=sys.stderr)
    return 0


async def _prune(args: argparse.Namespace, config: Config) -> int:
    """Remove the consents whose latest record is older than the retention ('ledger.retention_days')."""
    async with _opened(args, config) as store:
        removed = await prune(store, config)
        # The request log's 24-hour window (issue 7): raw lines older than it become aggregates.
        rolled = await roll_up(config.logging, store, now=time.time())
    before = datetime.fromtimestamp(cutoff(config, datetime.now(UTC).timestamp()), UTC)
    print(f"pruned {removed} records of consents last recorded before {before:%Y-%m-%d %H:%M} UTC")
    if config.logging.destination == "file":
        print(rollup_summary(rolled.files, rolled.rolled, rolled.kept, rolled.malformed))
    for error in rolled.errors:
        print(f"consentgate: error: {error}", file=sys.stderr)
    return 1 if rolled.errors else 0


async def _dsr_access(args: argparse.Namespace, config: Config) -> int:
    """Print every record of a subject and the texts they were shown, as JSON."""
    async with _opened(args, config) as store:
        data = await dsr.portability(store, args.subject)
    sys.stdout.write(data.decode())
    return 0


async def _dsr_export(args: argparse.Namespace, config: Config) -> int:
    """Write a subject's records as one portable JSON document."""
    async with _opened(args, config) as store:
        data = await dsr.portability(store, args.subject)
    with _output(args.output) as out:
        out.write(data.decode())
    return 0


async def _dsr_delete(args: argparse.Namespace, config: Config) -> int:
    """Reduce every record of a subject to an anonymous tombstone (the chain still verifies)."""
    if not args.yes:
        return _usage("dsr delete removes personal data for good; add --yes to confirm")
    async with _opened(args, config) as store:
        count = await dsr.delete(store, args.subject)
    print(f"deleted {count} records of {args.subject} (kept as anonymous tombstones)")
    return 0


# --- plumbing ---------------------------------------------------------------------------------------

_Command = Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int]]


def _runner(command: _Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        path = args.config
        if path is None and Path(DEFAULT_CONFIG).exists():
            path = DEFAULT_CONFIG
        config = load_config(path)
        try:
            return asyncio.run(command(args, config))
        except HTTPError as exc:  # a bad subject: the same sentence the API answers with a 4xx
            return _usage(exc.detail)

    return run


def _doc(fn: Callable[..., Any]) -> str:
    return (fn.__doc__ or "").strip()


def _url(args: argparse.Namespace, config: Config) -> str:
    return str(args.database or config.database)


class _opened:
    """The store, opened without migrating, and closed afterwards."""

    def __init__(self, args: argparse.Namespace, config: Config) -> None:
        self._store = open_store(_url(args, config), migrate=False)

    async def __aenter__(self) -> Store:
        await self._store.open()
        return self._store

    async def __aexit__(self, *exc: object) -> None:
        await self._store.close()


def _output(path: str) -> AbstractContextManager[TextIO]:
    if path == "-":
        return nullcontext(sys.stdout)
    return open(path, "w", encoding="utf-8", newline="")


def _usage(message: str) -> int:
    print(f"consentgate: error: {message}", file=sys.stderr)
    return 2
