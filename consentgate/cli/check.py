"""``consentgate check [CONFIG]``: validate a config file without starting anything."""

from __future__ import annotations

import argparse

from .args import DEFAULT_CONFIG, config_path, read_config

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``check`` command."""
    parser = subparsers.add_parser(
        "check", help="validate a config file", description="Validate a consentgate.toml file."
    )
    parser.add_argument(
        "config", nargs="?", help=f"the config file (default: ./{DEFAULT_CONFIG} if it exists, else defaults)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one line saying the config is valid (a bad one raises ``ConfigError``: exit 1)."""
    path = config_path(args.config)
    config = read_config(path)
    where = path or "the built-in defaults"
    print(
        f"ok: {where} is valid ({len(config.categories)} categories: {', '.join(config.categories)}; "
        f"mode {config.mode}; database {config.database})"
    )
    return 0
