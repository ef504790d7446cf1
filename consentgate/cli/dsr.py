"""Data-subject request commands: ``dsr access|export|delete`` on the consent ledger.

A subject is a consent id or a linked identifier (``email:<sha256>``, ``phone:<sha256>``,
``user:<id>``); one the API would refuse is bad usage (exit 2). Each opens the store named by
``--database`` or by the config (``--config``, else ``./consentgate.toml`` if it exists).
"""

from __future__ import annotations

import argparse
import sys

from ..config import Config
from ..ledger import dsr
from ..store import Store
from .args import (
    add_actions,
    add_config_options,
    config_command,
    description,
    open_output,
    opened_store,
    store_command,
    usage,
)

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``dsr access|export|delete`` to the ``consentgate`` parser."""
    actions = add_actions(
        subparsers, "dsr", "data-subject requests", "Data-subject requests on the consent ledger."
    )
    access = actions.add_parser(
        "access", help="print every record of a subject (JSON)", description=description(_access)
    )
    _add_subject(access)
    access.set_defaults(func=store_command(_access))

    export = actions.add_parser(
        "export", help="write a subject's data as a portable JSON file", description=description(_export)
    )
    _add_subject(export)
    export.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    export.set_defaults(func=store_command(_export))

    delete = actions.add_parser(
        "delete",
        help="reduce every record of a subject to an anonymous tombstone",
        description=description(_delete),
    )
    _add_subject(delete)
    delete.add_argument("--yes", action="store_true", help="confirm the deletion")
    delete.set_defaults(func=config_command(_delete))


def _add_subject(parser: argparse.ArgumentParser) -> None:
    add_config_options(parser)
    parser.add_argument("subject", help="a consent id, or email:<sha256>, phone:<sha256>, user:<id>")


async def _access(args: argparse.Namespace, config: Config, store: Store) -> int:
    """Print every record of a subject and the texts they were shown, as JSON."""
    data = await dsr.portability(store, args.subject)
    sys.stdout.write(data.decode())
    return 0


async def _export(args: argparse.Namespace, config: Config, store: Store) -> int:
    """Write a subject's records as one portable JSON document."""
    data = await dsr.portability(store, args.subject)
    with open_output(args.output) as out:
        out.write(data.decode())
    return 0


async def _delete(args: argparse.Namespace, config: Config) -> int:
    """Reduce every record of a subject to an anonymous tombstone (the chain still verifies)."""
    if not args.yes:  # before opening the store: a missing confirmation is bad usage, whatever the store
        return usage("dsr delete removes personal data for good; add --yes to confirm")
    async with opened_store(config) as store:
        count = await dsr.delete(store, args.subject)
    print(f"deleted {count} records of {args.subject} (kept as anonymous tombstones)")
    return 0
