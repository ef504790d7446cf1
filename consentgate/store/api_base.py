"""The store methods of the marketing-systems API (issue 6): keys, identity links, changes, outbox.

:class:`~consentgate.store.base.Store` inherits these; each backend overrides them (SQLite in
``sqlite_api.py``, PostgreSQL in ``postgres_api.py``). The defaults refuse with a :class:`StoreError`
so a backend without them fails with a sentence, not an ``AttributeError``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..api.keys import ApiKey
from ..errors import StoreError
from ..ledger.records import ConsentRecord
from ..webhooks.outbox import Delivery, Outcome

__all__ = ["ApiStoreMixin", "Position"]

#: A place in the changes feed: ``(txid, seq)`` (see :meth:`ApiStoreMixin.changes`).
Position = tuple[int, int]


def _missing(what: str) -> StoreError:
    return StoreError(f"this store cannot {what}; use the SQLite or PostgreSQL store.")


class ApiStoreMixin:
    """API keys, identity links, the changes feed and the webhook outbox."""

    # --- API keys -----------------------------------------------------------------------------------

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        """Store a new key (its hash only)."""
        raise _missing("store API keys")

    async def api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        """The key with ``key_id`` and its stored hash, if any (revoked keys too)."""
        raise _missing("read API keys")

    async def api_keys(self) -> list[ApiKey]:
        """Every key, oldest first."""
        raise _missing("list API keys")

    async def revoke_api_key(self, key_id: str, *, now: float) -> bool:
        """Revoke a key; False if there is no such live key."""
        raise _missing("revoke API keys")

    # --- identity links -----------------------------------------------------------------------------

    async def add_links(self, consent_id: str, identifiers: Sequence[str], *, now: float, source: str) -> int:
        """Link ``consent_id`` to each identifier (idempotent); returns how many links are new."""
        raise _missing("store identity links")

    async def links_of(self, subjects: Sequence[str]) -> list[tuple[str, str]]:
        """Every ``(identifier, consent_id)`` link whose identifier or consent id is in ``subjects``."""
        raise _missing("read identity links")

    async def remove_links(self, subjects: Sequence[str]) -> int:
        """Delete every link whose consent id or identifier is in ``subjects`` (erasure); returns how many."""
        raise _missing("delete identity links")

    # --- the changes feed ---------------------------------------------------------------------------

    async def changes(self, after: Position, limit: int) -> list[tuple[Position, ConsentRecord]]:
        """Up to ``limit`` ``(position, record)`` after position ``after``, oldest first.

        A position is ``(txid, seq)``, compared as a tuple; ``(0, 0)`` is the start. Positions only
        grow, and a record that commits later never gets a position at or below one already
        returned, so paging with the last position returned sees every record exactly once. The
        records of one consent id come in their chain's order.
        Tombstones are left out. SQLite commits in seq order and answers ``(0, seq)``; PostgreSQL
        answers the writing transaction's id, and reads ``(0, seq)`` (a cursor from before the
        feed kept transaction ids) as "after record ``seq``".
        """
        raise _missing("page through changes")

    # --- the webhook outbox -------------------------------------------------------------------------

    async def claim_deliveries(self, owner: str, *, now: float, lease: float, limit: int) -> list[Delivery]:
        """Lease up to ``limit`` due deliveries to ``owner`` until ``now + lease``.

        A delivery is due when pending, its ``next_at`` has come and no lease on it is running, and no
        earlier pending delivery of the same subject to the same endpoint exists (order per subject).
        Each claim counts as an attempt. Two workers never hold the same delivery at once.
        """
        raise _missing("lease webhook deliveries")

    async def has_due_deliveries(self, *, now: float) -> bool:
        """Whether any pending delivery is due (a cheap read before a claim)."""
        raise _missing("read the webhook outbox")

    async def finish_deliveries(self, owner: str, outcomes: Sequence[Outcome], *, now: float) -> None:
        """Record what ``owner`` learnt; a retry only applies while ``owner`` still holds the lease."""
        raise _missing("update webhook deliveries")

    async def deliveries(
        self, *, state: str | None = None, msg_id: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """The newest deliveries (optionally in one state, or of one message), newest first."""
        raise _missing("list webhook deliveries")

    async def replay_deliveries(self, *, now: float, msg_id: str | None = None, state: str = "dead") -> int:
        """Make deliveries pending again, due now, with a fresh retry window; returns how many.

        ``msg_id`` replays that message (whatever its state); otherwise every delivery in ``state``.
        """
        raise _missing("replay webhook deliveries")
