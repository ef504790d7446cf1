"""Webhook commands: ``worker`` (deliver the outbox) and ``webhooks list|replay|secret``.

Each but ``webhooks secret`` opens the store named by ``--database`` or by the config
(``--config``, else ``./consentgate.toml`` if it exists, else the defaults), creating its schema
if need be.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time

from ..config import Config
from ..errors import ConsentGateError
from ..store import Store
from ..webhooks.signing import new_secret
from ..webhooks.worker import DeliveryWorker
from .args import add_actions, add_config_options, format_time, store_command

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``worker`` and ``webhooks list|replay|secret`` to the ``consentgate`` parser."""
    worker = subparsers.add_parser(
        "worker",
        help="deliver webhooks (for sites with several app servers)",
        description="Deliver the webhook outbox until stopped (SIGINT/SIGTERM). Run as many as you like.",
    )
    add_config_options(worker)
    worker.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    worker.set_defaults(func=store_command(_worker, migrate=True))

    actions = add_actions(
        subparsers, "webhooks", "inspect and replay webhook deliveries", "Webhook deliveries."
    )
    listing = actions.add_parser("list", help="list the newest deliveries")
    add_config_options(listing)
    listing.add_argument(
        "--state", choices=("pending", "delivered", "dead"), help="only deliveries in this state"
    )
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default: 50)")
    listing.set_defaults(func=store_command(_list, migrate=True))
    replay = actions.add_parser("replay", help="send deliveries again")
    add_config_options(replay)
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "msg_id", nargs="?", help="the webhook-id to send again (to every subscription that had it)"
    )
    which.add_argument("--dead", action="store_true", help="every dead-lettered delivery")
    replay.set_defaults(func=store_command(_replay, migrate=True))
    secret = actions.add_parser("secret", help="print a new random signing secret (whsec_...)")
    secret.set_defaults(func=_print_secret)


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


async def _list(args: argparse.Namespace, config: Config, store: Store) -> int:
    if args.limit < 1:
        raise ConsentGateError("--limit must be 1 or more.")
    print(f"{'STATE':<10}{'TRIES':<6}{'CREATED':<22}{'ENDPOINT':<16}{'TYPE':<19}{'LAST':<10}WEBHOOK-ID")
    for d in await store.deliveries(state=args.state, limit=args.limit):
        last = str(d.last_status) if d.last_status is not None else (d.last_error.split(":")[0] or "-")
        print(
            f"{d.state:<10}{d.attempts:<6}{format_time(d.created_at):<22}{d.endpoint:<16}{d.type:<19}"
            f"{last[:9]:<10}{d.msg_id}"
        )
    return 0


async def _replay(args: argparse.Namespace, config: Config, store: Store) -> int:
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
