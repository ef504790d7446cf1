"""The ``consentgate`` command line: the parser, and the one place errors become exit codes.

Each command group lives in its own module of this package (listed in :data:`COMMAND_MODULES`)
that exposes ``register(subparsers)``; the subparser's ``func(args) -> int`` does the work, with
the options, config and store it shares with the others from :mod:`.args`. Exit codes: 0 success,
1 failure (one ``consentgate: error: ...`` line on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import ConsentGateError

__all__ = ["main"]

#: The modules that register commands, in the order `consentgate --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "consentgate.cli.demo",
    "consentgate.cli.check",
    "consentgate.cli.scan",
    "consentgate.cli.declaration",
    "consentgate.cli.catalog",
    "consentgate.cli.ledger",
    "consentgate.cli.dsr",
    "consentgate.cli.logs",
    "consentgate.cli.keys",
    "consentgate.cli.webhooks",
    "consentgate.cli.proxy",
)


def build_parser() -> argparse.ArgumentParser:
    """The ``consentgate`` parser with every command of :data:`COMMAND_MODULES`."""
    parser = argparse.ArgumentParser(
        prog="consentgate", description="A server-side consent gate for marketing websites."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except ConsentGateError as exc:
        print(f"consentgate: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("consentgate: interrupted", file=sys.stderr)
        return 1
    return code
