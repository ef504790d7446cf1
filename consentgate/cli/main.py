"""The ``consentgate`` command line.

Each command lives in its own ``cli_*`` module that exposes ``register(subparsers)``; the
subparser's ``func(args) -> int`` does the work. Exit codes: 0 success, 1 failure (one line on
stderr), 2 bad usage (argparse).
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
    "consentgate.cli.ledger",
    "consentgate.cli.logs",
    "consentgate.cli.api",
)


def build_parser() -> argparse.ArgumentParser:
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
