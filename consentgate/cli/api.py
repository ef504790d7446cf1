"""API and webhook commands: ``keys create|list|revoke``, ``worker``, ``webhooks list|replay|secret``.

Each opens the store named by ``--database`` or by the config (``--config``, else
``./consentgate.toml`` if it exists, else the defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..api.keys import SCOPES, ApiKey, hash_key, new_key
from ..config import Config, load_config
from ..errors import ConsentGateError
from ..store import Store, open_store
from ..webhooks.signing import new_secret
from ..webhooks.worker import DeliveryWorker

__all__ = ["register"]

DEFAULT_CONFIG = "consentgate.toml"

if TYPE_CHECKING:  # not subscriptable at run time on Python 3.11
    _Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
_Command = Callable[[argparse.Namespace, Config, Store], Coroutine[Any, Any, int]]


def register(subparsers: _Subparsers) -> None:
    """Add ``keys``, ``worker`` and ``webhooks`` to the ``consentgate`` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help=f"config file (default: ./{DEFAULT_CONFIG} if it exists)")
    common.add_argument("--database", help="database URL; overrides the config's 'database'")

    keys = subparsers.add_parser(
        "keys", help="API keys of the opt-out status API", description="Manage API keys."
    )
    actions = keys.add_subparsers(dest="keys_action", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", parents=[common], help="make a key and print it once")
    create.add_argument("--name", required=True, help="who the key is for, e.g. 'crm'")
    create.add_argument(
        "--scope", required=True, choices=SCOPES, help="read: lookups; write: also opt-outs and links"
    )
    create.set_defaults(func=_runner(_keys_create))
    listing = actions.add_parser("list", parents=[common], help="list keys (never the keys themselves)")
    listing.set_defaults(func=_runner(_keys_list))
    revoke = actions.add_parser("revoke", parents=[common], help="revoke a key by its id")
    revoke.add_argument("key_id", help="the id shown by 'keys list' (or the whole key)")
    revoke.set_defaults(func=_runner(_keys_revoke))

    worker = subparsers.add_parser(
        "worker",
        parents=[common],
        help="deliver webhooks (for sites with several app servers)",
        description="Deliver the webhook outbox until stopped (SIGINT/SIGTERM). Run as many as you like.",
    )
    worker.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    worker.set_defaults(func=_runner(_worker))

    hooks = subparsers.add_parser(
        "webhooks", help="inspect and replay webhook deliveries", description="Webhook deliveries."
    )
    actions = hooks.add_subparsers(dest="webhooks_action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", parents=[common], help="list the newest deliveries")
    listing.add_argument(
        "--state", choices=("pending", "delivered", "dead"), help="only deliveries in this state"
    )
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default: 50)")
    listing.set_defaults(func=_runner(_webhooks_list))
    replay = actions.add_parser("replay", parents=[common], help="send deliveries again")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "msg_id", nargs="?", help="the webhook-id to send again (to every subscription that had it)"
    )
    which.add_argument("--dead", action="store_true", help="every dead-lettered delivery")
    replay.set_defaults(func=_runner(_webhooks_replay))
    secret = actions.add_parser("secret", help="print a new random signing secret (whsec_...)")
    secret.set_defaults(func=_print_secret)


def _runner(command: _Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        path = args.config
        if path is None and Path(DEFAULT_CONFIG).exists():
            path = DEFAULT_CONFIG
        config = load_config(path, **({"database": args.database} if args.database else {}))
        return asyncio.run(_with_store(command, args, config))

    return run


async def _with_store(command: _Command, args: argparse.Namespace, config: Config) -> int:
    store = open_store(config.database)
    await store.open()
    try:
        return await command(args, config, store)
    finally:
        await store.close()


def _when(seconds: float | None) -> str:
    return "-" if seconds is None else datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- keys -----------------------------------------------------------------------------------------


async def _keys_create(args: argparse.Namespace, config: Config, store: Store) -> int:
    name = args.name.strip()
    if not name or len(name) > 100:
        raise ConsentGateError("--name must be 1-100 characters.")
    key_id, key = new_key()
    await store.add_api_key(ApiKey(key_id, name, args.scope, time.time()), hash_key(key))
    print(key)
    print(f"key {key_id} ({args.scope}) for {name!r}: store it now, it is not shown again.", file=sys.stderr)
    return 0


async def _keys_list(args: argparse.Namespace, config: Config, store: Store) -> int:
    print(f"{'KEY ID':<14}{'SCOPE':<7}{'CREATED':<22}{'REVOKED':<22}NAME")
    for key in await store.api_keys():
        print(
            f"{key.key_id:<14}{key.scope:<7}{_when(key.created_at):<22}{_when(key.revoked_at):<22}{key.name}"
        )
    return 0


async def _keys_revoke(args: argparse.Namespace, config: Config, store: Store) -> int:
    key_id = args.key_id
    if key_id.startswith("cgk_"):
        key_id = key_id.split("_")[1] if key_id.count("_") >= 2 else key_id
    if not await store.revoke_api_key(key_id, now=time.time()):
        raise ConsentGateError(f"no live key with id {key_id!r}; see 'consentgate keys list'.")
    print(f"revoked {key_id}")
    return 0


# --- the worker -----------------------------------------------------------------------------------


async def _worker(args: argparse.Namespace, config: Config, store: Store) -> int:
    if not config.webhooks.subscriptions:
        raise ConsentGateError(
            "the config has no [webhooks.subscriptions.<name>]; there is nothing to deliver."
        )
    worker = DeliveryWorker(store, config.webhooks)
    try:
        if args.once:
            print(f"tried {await worker.drain()} deliveries", file=sys.stderr)
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        print(
            f"consentgate worker {worker.owner}: delivering to {', '.join(config.webhooks.subscriptions)}",
            file=sys.stderr,
        )
        await worker.run(stop)
        return 0
    finally:
        await worker.aclose()


# --- webhooks -------------------------------------------------------------------------------------


async def _webhooks_list(args: argparse.Namespace, config: Config, store: Store) -> int:
    if args.limit < 1:
        raise ConsentGateError("--limit must be 1 or more.")
    print(f"{'STATE':<10}{'TRIES':<6}{'CREATED':<22}{'ENDPOINT':<16}{'TYPE':<19}{'LAST':<10}WEBHOOK-ID")
    for d in await store.deliveries(state=args.state, limit=args.limit):
        last = str(d.last_status) if d.last_status is not None else (d.last_error.split(":")[0] or "-")
        print(
            f"{d.state:<10}{d.attempts:<6}{_when(d.created_at):<22}{d.endpoint:<16}{d.type:<19}{last[:9]:<10}{d.msg_id}"
        )
    return 0


async def _webhooks_replay(args: argparse.Namespace, config: Config, store: Store) -> int:
    if args.dead:
        count = await store.replay_deliveries(now=time.time(), state="dead")
    else:
        count = await store.replay_deliveries(now=time.time(), msg_id=args.msg_id)
        if not count:
            raise ConsentGateError(
                f"no delivery with webhook-id {args.msg_id!r}; see 'consentgate webhooks list'."
            )
    print(f"{count} deliveries queued again")
    return 0


def _print_secret(args: argparse.Namespace) -> int:
    print(new_secret())
    return 0
