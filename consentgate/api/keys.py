"""API keys for ``/consentgate/api/v1/``: made once, stored hashed, compared in constant time.

A key reads ``cgk_<key id>_<secret>``. The key id (public, 12 hex digits) finds the row; the whole
key's SHA-256 is what the store keeps, so a leaked database does not leak usable keys. The key is
shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

__all__ = ["SCOPES", "ApiKey", "hash_key", "new_key", "parse_key", "scope_includes", "verify_key"]

Scope = Literal["read", "write", "admin"]
#: Every scope, each including the ones before it: ``admin`` (the dashboard) ⊃ ``write`` ⊃ ``read``.
SCOPES: tuple[str, ...] = ("read", "write", "admin")

_KEY_RE = re.compile(r"^cgk_([0-9a-f]{12})_([A-Za-z0-9_\-]{20,100})\Z")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key (never the key itself). ``admin`` includes ``write``, which includes ``read``."""

    key_id: str
    name: str
    scope: str
    created_at: float
    revoked_at: float | None = None

    def allows(self, needed: str) -> bool:
        """Whether this key may do what ``needed`` (``read``, ``write`` or ``admin``) asks."""
        return self.revoked_at is None and scope_includes(self.scope, needed)


def scope_includes(scope: str, needed: str) -> bool:
    """Whether a key of ``scope`` may do what ``needed`` asks (an unknown scope allows nothing)."""
    if scope not in SCOPES or needed not in SCOPES:
        return False
    return SCOPES.index(scope) >= SCOPES.index(needed)


def new_key() -> tuple[str, str]:
    """A fresh ``(key_id, key)``."""
    key_id = secrets.token_hex(6)
    return key_id, f"cgk_{key_id}_{secrets.token_urlsafe(32)}"


def parse_key(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    match = _KEY_RE.match(key)
    return match.group(1) if match else None


def hash_key(key: str) -> str:
    """SHA-256 (hex) of the whole key: what the store keeps. Keys are random, so no salt is needed."""
    return hashlib.sha256(key.encode()).hexdigest()


def verify_key(key: str, stored_hash: str) -> bool:
    """Whether ``key`` hashes to ``stored_hash`` (constant-time comparison)."""
    return hmac.compare_digest(hash_key(key), stored_hash)
