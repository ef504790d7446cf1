"""Bearer-key authentication, scopes, a per-key rate limit and a per-client limit on failed attempts.

One path whether the key id exists or not: an unknown id is hashed and compared against a dummy hash
like a wrong secret is against the real one, and the store's "no such key" is cached (bounded) like
a found key is, so neither the answer nor its time tells which ids exist. Failed attempts are counted
per client address: past :data:`FAILED_BURST` (refilled at :data:`FAILED_PER_SECOND`), the client
gets 429 with ``Retry-After`` on every request until it has waited.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from ..config import ApiConfig
from ..errors import HTTPError
from ..store import Store
from .keys import ApiKey, hash_key, parse_key, verify_key

__all__ = ["FAILED_BURST", "FAILED_PER_SECOND", "KeyAuth"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="consentgate"'}
#: Failed attempts a client may make at once, and how many more per second after that.
FAILED_BURST: Final = 20
FAILED_PER_SECOND: Final = 0.2
#: Key ids remembered (found or not), and clients whose failures are counted: bounded memory.
_MAX_KEYS: Final = 4096
_MAX_CLIENTS: Final = 16384
#: Compared against when the key id is unknown: a hash no key has (it is not of a well-formed key).
_DUMMY_HASH: Final = hash_key("no key has this hash")
_UNKNOWN: Final = "This API key is not known."


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class KeyAuth:
    """Checks ``Authorization: Bearer <key>``: known, not revoked, right scope, under its rate.

    What the store says of a key id (the key and its hash, or "no such key") is kept
    ``key_cache_seconds``, so a lookup costs no store read; a revocation or a new key takes effect
    within that time. The rate limit is a token bucket per key in this process; failed attempts have
    a bucket per client address.
    """

    def __init__(self, config: ApiConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._cache: dict[str, tuple[float, ApiKey | None, str]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._failures: dict[str, _Bucket] = {}

    async def check(
        self, store: Store, headers: Mapping[bytes, bytes], needed: str, client: str | None = None
    ) -> ApiKey:
        """The key of the request if it may do ``needed``; else an :class:`HTTPError` 401/403/429.

        ``client`` is the client's address, for the limit on failed attempts (None: not limited).
        """
        raw = headers.get(b"authorization")
        if raw is None:
            raise HTTPError(
                401,
                "missing_key",
                "Send 'Authorization: Bearer <key>'; make a key with 'consentgate keys create'.",
                _CHALLENGE,
            )
        now = self._clock()
        if client is not None:
            self._refuse_if_over(client, now)
        scheme, _, token = raw.decode("latin-1").partition(" ")
        token = token.strip()
        key_id = parse_key(token) if scheme.lower() == "bearer" else None
        if key_id is None:
            self._failed(client, now)
            raise HTTPError(
                401,
                "bad_key",
                "The Authorization header must be 'Bearer cgk_...' with a key made by the CLI.",
                _CHALLENGE,
            )
        cached = self._cache.get(key_id)
        if cached is None or now - cached[0] >= self._config.key_cache_seconds:
            found = await store.api_key(key_id)
            cached = (now, *found) if found is not None else (now, None, _DUMMY_HASH)
            self._cache.pop(key_id, None)
            if len(self._cache) >= _MAX_KEYS:
                del self._cache[next(iter(self._cache))]  # the oldest entry
            self._cache[key_id] = cached
        key = cached[1]
        # The same work for an unknown id as for a wrong secret: hash, then compare.
        if not verify_key(token, cached[2]) or key is None:
            self._failed(client, now)
            raise HTTPError(401, "bad_key", _UNKNOWN, _CHALLENGE)
        if key.revoked_at is not None:
            raise HTTPError(401, "revoked_key", "This API key was revoked; make a new one.", _CHALLENGE)
        self._take(key_id, now)
        if not key.allows(needed):
            raise HTTPError(
                403, "insufficient_scope", f"This key has scope {key.scope!r}; this route needs {needed!r}."
            )
        return key

    def _take(self, key_id: str, now: float) -> None:
        rate, burst = self._config.rate_limit, float(self._config.rate_burst)
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = _Bucket(burst, now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.tokens < 1.0:
            wait = max(1, math.ceil((1.0 - bucket.tokens) / rate))
            raise HTTPError(
                429,
                "rate_limited",
                f"This key is over {rate:g} requests per second; retry after {wait} s.",
                {"Retry-After": str(wait)},
            )
        bucket.tokens -= 1.0

    # --- failed attempts, per client address ---------------------------------------------------------

    def _refuse_if_over(self, client: str, now: float) -> None:
        bucket = self._failures.get(client)
        if bucket is None:
            return
        tokens = min(float(FAILED_BURST), bucket.tokens + (now - bucket.at) * FAILED_PER_SECOND)
        if tokens < 1.0:
            wait = max(1, math.ceil((1.0 - tokens) / FAILED_PER_SECOND))
            raise HTTPError(
                429,
                "too_many_failures",
                f"Too many requests with a wrong API key from this address; retry after {wait} s.",
                {"Retry-After": str(wait)},
            )

    def _failed(self, client: str | None, now: float) -> None:
        if client is None:
            return
        bucket = self._failures.get(client)
        if bucket is None:
            if len(self._failures) >= _MAX_CLIENTS:
                del self._failures[next(iter(self._failures))]  # the oldest client
            bucket = self._failures[client] = _Bucket(float(FAILED_BURST), now)
        bucket.tokens = min(float(FAILED_BURST), bucket.tokens + (now - bucket.at) * FAILED_PER_SECOND) - 1.0
        bucket.at = now
