"""API key commands: ``keys create|list|revoke`` (the keys of the opt-out status API).

Each opens the store named by ``--database`` or by the config (``--config``, else
``./consentgate.toml`` if it exists, else the defaults), creating its schema if need be.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..api.keys import SCOPES, ApiKey, hash_key, new_key
from ..config import Config
from ..errors import ConsentGateError
from ..store import Store
from .args import add_actions, add_config_options, format_time, store_command

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``keys create|list|revoke`` to the ``consentgate`` parser."""
    actions = add_actions(subparsers, "keys", "API keys of the opt-out status API", "Manage API keys.")
    create = actions.add_parser("create", help="make a key and print it once")
    add_config_options(create)
    create.add_argument("--name", required=True, help="who the key is for, e.g. 'crm'")
    create.add_argument(
        "--scope",
        required=True,
        choices=SCOPES,
        help="read: lookups; write: also opt-outs and links; admin: also the dashboard sign-in",
    )
    create.set_defaults(func=store_command(_create, migrate=True))
    listing = actions.add_parser("list", help="list keys (never the keys themselves)")
    add_config_options(listing)
    listing.set_defaults(func=store_command(_list, migrate=True))
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    add_config_options(revoke)
    revoke.add_argument("key_id", help="the id shown by 'keys list' (or the whole key)")
    revoke.set_defaults(func=store_command(_revoke, migrate=True))


async def _create(args: argparse.Namespace, config: Config, store: Store) -> int:
    name = args.name.strip()
    if not name or len(name) > 100:
        raise ConsentGateError("--name must be 1-100 characters.")
    key_id, key = new_key()
    await store.add_api_key(ApiKey(key_id, name, args.scope, time.time()), hash_key(key))
    print(key)
    print(f"key {key_id} ({args.scope}) for {name!r}: store it now, it is not shown again.", file=sys.stderr)
    return 0


async def _list(args: argparse.Namespace, config: Config, store: Store) -> int:
    print(f"{'KEY ID':<14}{'SCOPE':<7}{'CREATED':<22}{'REVOKED':<22}NAME")
    for key in await store.api_keys():
        print(
            f"{key.key_id:<14}{key.scope:<7}{format_time(key.created_at):<22}"
            f"{format_time(key.revoked_at):<22}{key.name}"
        )
    return 0


async def _revoke(args: argparse.Namespace, config: Config, store: Store) -> int:
    key_id = args.key_id
    if key_id.startswith("cgk_"):
        key_id = key_id.split("_")[1] if key_id.count("_") >= 2 else key_id
    if not await store.revoke_api_key(key_id, now=time.time()):
        raise ConsentGateError(f"no live key with id {key_id!r}; see 'consentgate keys list'.")
    print(f"revoked {key_id}")
    return 0
