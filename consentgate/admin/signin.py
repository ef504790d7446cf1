"""Who may use the dashboard: API keys checked against the store, and failed sign-ins limited.

A key signs in only with the ``admin`` scope; ``Authorization: Bearer`` (or a Basic password) keeps
working for scripts, with the scope a route needs. Failed sign-ins are counted per client address
in a sliding window; past ``[admin] failed_signins`` the address gets 429 until the window moves on.
"""

from __future__ import annotations

import base64
import binascii
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

from ..api import keys as api_keys
from ..errors import HTTPError
from ..store.base import Store

__all__ = ["FailedSignins", "KeyVerifier", "key_scope", "presented_key"]

#: ``await verifier(key)`` → ``(key id, scope)``, or None when the key is not valid.
KeyVerifier = Callable[[str], Awaitable[tuple[str, str] | None]]

#: Client addresses tracked at most; the least recently failing are forgotten first.
_MAX_ADDRESSES = 10_000
_DUMMY_HASH = api_keys.hash_key("no key has this hash")


async def key_scope(store: Store, key: str) -> tuple[str, str] | None:
    """``(key id, scope)`` of a key made by ``consentgate keys create``, if valid and not revoked."""
    key_id = api_keys.parse_key(key)
    if key_id is None:
        return None
    found = await store.api_key(key_id)
    # An unknown id is hashed and compared like a known one, so the time taken does not tell
    # which key ids exist.
    matches = api_keys.verify_key(key, found[1] if found is not None else _DUMMY_HASH)
    if found is None or not matches or found[0].revoked_at is not None:
        return None
    return key_id, str(found[0].scope)


def presented_key(headers: Mapping[bytes, bytes]) -> str | None:
    """The key of ``Authorization: Bearer <key>`` or of Basic auth's password (any user name)."""
    raw = headers.get(b"authorization")
    if raw is None:
        return None
    kind, _, credentials = raw.decode("latin-1").strip().partition(" ")
    kind, credentials = kind.lower(), credentials.strip()
    if kind == "bearer" and credentials:
        return credentials
    if kind == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


class FailedSignins:
    """A sliding window of failed sign-ins per client address (in this process)."""

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def check(self, address: str) -> None:
        """A 429 while ``address`` has used up its failed sign-ins."""
        failures = self._recent(address)
        if failures is not None and len(failures) >= self._limit:
            wait = max(1, math.ceil(failures[0] + self._window - self._clock()))
            raise HTTPError(
                429,
                "too_many_signins",
                f"Too many failed sign-ins from this address; try again in {wait} s.",
                {"Retry-After": str(wait)},
            )

    def failed(self, address: str) -> None:
        """Count one failed sign-in of ``address``."""
        failures = self._recent(address) or deque()
        failures.append(self._clock())
        self._failures.pop(address, None)
        self._failures[address] = failures  # most recent last, so the first is the one to forget
        if len(self._failures) > _MAX_ADDRESSES:
            del self._failures[next(iter(self._failures))]

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        horizon = self._clock() - self._window
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures
