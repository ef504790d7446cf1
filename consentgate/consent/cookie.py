"""The signed consent cookie: compact, verified on every request, rotated keys.

The payload is ``[id, granted, revision, time]`` where ``granted`` is a bit mask over the config's
category order (so the cookie stays about 90 bytes whatever the category names). itsdangerous signs
it with HMAC-SHA1 over a derived key and checks its age; any failure reads as "no choice".
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..errors import ConfigError

__all__ = ["CookieCodec", "StoredChoice", "new_consent_id"]

_SALT = "consentgate.consent"
_CACHE_SIZE = 8192


def new_consent_id() -> str:
    """A random, unguessable consent id (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class StoredChoice:
    """What a valid cookie says."""

    consent_id: str
    granted: frozenset[str]
    revision: int
    decided_at: int


class CookieCodec:
    """Encodes and verifies the consent cookie.

    ``secret_key`` is one key or a list: the first signs, every one verifies (key rotation).
    """

    def __init__(self, secret_key: str | Sequence[str], categories: Sequence[str], max_age: int) -> None:
        keys = [secret_key] if isinstance(secret_key, str) else list(secret_key)
        if not keys or not all(isinstance(k, str) and k for k in keys):
            raise ConfigError(
                "secret_key is missing or empty; make one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` and pass it as secret_key."
            )
        # itsdangerous signs with the *last* key and verifies with all of them.
        # The salt names the category list, so a cookie written for other categories reads as
        # undecided instead of being misread through a shifted bit mask.
        salt = f"{_SALT}:{','.join(categories)}"
        self._serializer = URLSafeTimedSerializer(list(reversed(keys)), salt=salt)
        self._categories = tuple(categories)
        self._bits = {name: 1 << i for i, name in enumerate(self._categories)}
        self.max_age = max_age
        # Verified cookies, by their exact text, with the time their signature expires. A visitor
        # sends the same cookie on every request, and verifying it (key derivation, HMAC, base64,
        # JSON) costs about 25 us: a cache hit costs a dict look-up and a clock read.
        self._verified: dict[str, tuple[StoredChoice, float]] = {}

    def encode(self, choice: StoredChoice) -> str:
        mask = 0
        for name in choice.granted:
            mask |= self._bits.get(name, 0)
        return self._serializer.dumps([choice.consent_id, mask, choice.revision, choice.decided_at])

    def decode(self, value: str) -> StoredChoice | None:
        """The choice in ``value``, or None when it is malformed, tampered with or expired."""
        found = self.verified(value)
        return found[0] if found is not None else None

    def verified(self, value: str) -> tuple[StoredChoice, float] | None:
        """The choice in ``value`` and the time (``time.time()``) its signature expires, or None
        when it is malformed, tampered with or expired: for a caller that keeps what it made of it."""
        hit = self._verified.get(value)
        if hit is not None:
            if time.time() < hit[1]:
                return hit
            del self._verified[value]
            return None
        if not value or len(value) > 512:
            return None
        try:
            data, signed_at = self._serializer.loads(value, max_age=self.max_age, return_timestamp=True)
        except (BadSignature, ValueError, TypeError):
            return None
        choice = self._parse(data)
        if choice is None:
            return None
        if len(self._verified) >= _CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest entry
        entry = self._verified[value] = (choice, signed_at.timestamp() + self.max_age)
        return entry

    def _parse(self, data: Any) -> StoredChoice | None:
        if not (isinstance(data, list) and len(data) == 4):
            return None
        consent_id, mask, revision, decided_at = data
        if not (
            isinstance(consent_id, str)
            and 0 < len(consent_id) <= 64
            and type(mask) is int
            and type(revision) is int
            and type(decided_at) is int
        ):
            return None
        granted = frozenset(name for name, bit in self._bits.items() if mask & bit)
        return StoredChoice(consent_id, granted, revision, decided_at)
