"""What the commands share: the ``--config``/``--database`` options, the config they name, the
store opened for one command, and the argument conventions (times, ``-`` for stdout, usage errors).

A command that works on the store is an ``async`` function of ``(args, config, store)``;
:func:`store_command` turns it into the ``func(args) -> int`` a subparser runs. A command that must
check its arguments before it touches the store (or never opens it) is an ``async`` function of
``(args, config)`` run by :func:`config_command`, and opens the store itself with :func:`opened_store`.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ..config import Config, load_config
from ..errors import ConsentGateError, HTTPError
from ..store import Store, open_store

__all__ = [
    "DEFAULT_CONFIG",
    "ConfigCommand",
    "StoreCommand",
    "add_actions",
    "add_config_options",
    "bind_socket",
    "config_command",
    "config_path",
    "description",
    "format_time",
    "open_output",
    "opened_store",
    "parse_time",
    "read_config",
    "store_command",
    "usage",
]

#: The config file a command reads when none is given, if it exists in the working directory.
DEFAULT_CONFIG = "consentgate.toml"

ConfigCommand = Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int]]
StoreCommand = Callable[[argparse.Namespace, Config, Store], Coroutine[Any, Any, int]]


# --- the config -----------------------------------------------------------------------------------


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--config`` and ``--database`` (read by :func:`config_command` and :func:`store_command`)."""
    parser.add_argument("--config", help=f"config file (default: ./{DEFAULT_CONFIG} if it exists)")
    parser.add_argument("--database", help="database URL; overrides the config's 'database'")


def config_path(given: str | None) -> str | None:
    """The config file to read: ``given``, else ``./consentgate.toml`` if it exists, else None (defaults)."""
    if given is None and Path(DEFAULT_CONFIG).exists():
        return DEFAULT_CONFIG
    return given


def read_config(given: str | None, *, database: str | None = None) -> Config:
    """The config of :func:`config_path`, its ``database`` replaced by ``database`` when given.

    Raises :class:`~consentgate.errors.ConfigError` (one sentence) for a missing or bad file and
    for a bad database URL.
    """
    overrides = {"database": database} if database else {}
    return load_config(config_path(given), **overrides)


# --- running a command ----------------------------------------------------------------------------


@asynccontextmanager
async def opened_store(config: Config, *, migrate: bool = False) -> AsyncIterator[Store]:
    """The config's store, opened (creating or upgrading the schema only when ``migrate``) and closed."""
    store = open_store(config.database, migrate=migrate)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def config_command(command: ConfigCommand) -> Callable[[argparse.Namespace], int]:
    """A subparser's ``func``: read the config of ``--config``/``--database`` and run ``command``."""

    def run(args: argparse.Namespace) -> int:
        config = read_config(args.config, database=args.database)
        try:
            return asyncio.run(command(args, config))
        except HTTPError as exc:  # a bad subject: the same sentence the API answers with a 4xx
            return usage(exc.detail)

    return run


def store_command(command: StoreCommand, *, migrate: bool = False) -> Callable[[argparse.Namespace], int]:
    """A subparser's ``func`` that runs ``command`` with the store open (see :func:`opened_store`)."""

    async def with_store(args: argparse.Namespace, config: Config) -> int:
        async with opened_store(config, migrate=migrate) as store:
            return await command(args, config, store)

    return config_command(with_store)


def add_actions(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, description: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add the command ``name`` that takes an action (``consentgate NAME ACTION``); add those to the result."""
    parser = subparsers.add_parser(name, help=summary, description=description)
    actions = parser.add_subparsers(dest=f"{name}_action", metavar="ACTION")
    actions.required = True
    return actions


def bind_socket(host: str, port: int, hint: str) -> socket.socket:
    """A listening-ready socket bound to ``host:port`` (inheritable, for uvicorn's workers); a busy or
    bad address is one ConsentGateError sentence ending with ``hint``."""
    # Bound here rather than by uvicorn so a busy port is one clear line, not a log record and exit.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConsentGateError(f"cannot listen on {host}:{port} ({exc.strerror}); {hint}") from None
    sock.set_inheritable(True)
    return sock


def usage(message: str) -> int:
    """Print ``consentgate: error: message`` and return 2, the exit status of bad usage."""
    print(f"consentgate: error: {message}", file=sys.stderr)
    return 2


def description(command: Callable[..., Any]) -> str:
    """A command's ``--help`` description: its docstring."""
    return (command.__doc__ or "").strip()


# --- argument types -------------------------------------------------------------------------------


def parse_time(text: str) -> float:
    """A time given as epoch seconds or ISO 8601 (naive times are UTC), as epoch seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; use ISO 8601 (2026-01-31 or 2026-01-31T12:00:00Z) or epoch seconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def format_time(seconds: float | None) -> str:
    """Epoch seconds as ``2026-01-31T12:00:00Z`` for a table column; ``-`` for none."""
    return "-" if seconds is None else datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_output(path: str) -> AbstractContextManager[TextIO]:
    """The file an ``--output`` option names, opened for writing; ``-`` is stdout (left open)."""
    if path == "-":
        return nullcontext(sys.stdout)
    try:
        return open(path, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise ConsentGateError(f"cannot write {path!r}: {exc.strerror}.") from None
