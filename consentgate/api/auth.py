"""Bearer-key authentication, scopes and a per-key rate limit for the API routes."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..config import ApiConfig
from ..errors import HTTPError
from ..store import Store
from .keys import ApiKey, parse_key, verify_key

__all__ = ["KeyAuth"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="consentgate"'}


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class KeyAuth:
    """Checks ``Authorization: Bearer <key>``: known, not revoked, right scope, under its rate.

    Verified keys are kept ``key_cache_seconds`` so a lookup costs no store read; a revocation takes
    effect within that time. The rate limit is a token bucket per key in this process.
    """

    def __init__(self, config: ApiConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._cache: dict[str, tuple[float, ApiKey, str]] = {}
        self._buckets: dict[str, _Bucket] = {}

    async def check(self, store: Store, headers: Mapping[bytes, bytes], needed: str) -> ApiKey:
        """The key of the request if it may do ``needed``; else an :class:`HTTPError` 401/403/429."""
        raw = headers.get(b"authorization")
        if raw is None:
            raise HTTPError(
                401,
                "missing_key",
                "Send 'Authorization: Bearer <key>'; make a key with 'consentgate keys create'.",
                _CHALLENGE,
            )
        scheme, _, token = raw.decode("latin-1").partition(" ")
        token = token.strip()
        key_id = parse_key(token) if scheme.lower() == "bearer" else None
        if key_id is None:
            raise HTTPError(
                401,
                "bad_key",
                "The Authorization header must be 'Bearer cgk_...' with a key made by the CLI.",
                _CHALLENGE,
            )
        now = self._clock()
        cached = self._cache.get(key_id)
        if cached is None or now - cached[0] >= self._config.key_cache_seconds:
            found = await store.api_key(key_id)
            if found is None:
                raise HTTPError(401, "bad_key", "This API key is not known.", _CHALLENGE)
            cached = (now, *found)
            self._cache[key_id] = cached
        key, stored_hash = cached[1], cached[2]
        if not verify_key(token, stored_hash):
            raise HTTPError(401, "bad_key", "This API key is not known.", _CHALLENGE)
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
