"""``consentgate check [CONFIG]``: validate a config file without starting anything."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import load_config

DEFAULT_PATH = "consentgate.toml"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check", help="validate a config file", description="Validate a consentgate.toml file."
    )
    parser.add_argument(
        "config", nargs="?", help=f"the config file (default: ./{DEFAULT_PATH} if it exists, else defaults)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = args.config
    if path is None and Path(DEFAULT_PATH).exists():
        path = DEFAULT_PATH
    config = load_config(path)
    where = path or "the built-in defaults"
    print(
        f"ok: {where} is valid ({len(config.categories)} categories: {', '.join(config.categories)}; "
        f"mode {config.mode}; database {config.database})"
    )
    return 0
