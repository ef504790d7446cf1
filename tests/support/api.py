"""Helpers for the marketing-systems API tests: paths, API keys, same-origin headers."""

from __future__ import annotations

import hashlib
import time

from consentgate import ConsentMiddleware
from consentgate.api.keys import ApiKey, hash_key, new_key
from tests.support.site import ORIGIN

API = "/consentgate/api/v1"


SAME_ORIGIN = {"origin": ORIGIN, "sec-fetch-site": "same-origin"}


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def make_key(gate: ConsentMiddleware, scope: str) -> str:
    store = await gate.store()
    key_id, key = new_key()
    await store.add_api_key(ApiKey(key_id, f"test-{scope}", scope, time.time()), hash_key(key))
    return key


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}
