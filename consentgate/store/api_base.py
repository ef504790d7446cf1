"""The marketing-systems API half of the store: keys, identity links, the changes feed, the outbox.

The status of a subject (``api/status.py``) is a fold over :meth:`ApiStore.links_of` and the
ledger's ``iter_records``; it needs no method of its own.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from ..api.keys import ApiKey
from ..ledger.records import ConsentRecord
from ..webhooks.outbox import Delivery, Outcome

__all__ = ["ApiStore", "Position"]

#: A place in the changes feed: ``(txid, seq)`` (see :meth:`ApiStore.changes`).
Position = tuple[int, int]


class ApiStore(abc.ABC):
    """API keys, identity links, the changes feed and the webhook outbox."""

    # --- API keys -----------------------------------------------------------------------------------

    @abc.abstractmethod
    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        """Store a new key (its hash only)."""

    @abc.abstractmethod
    async def api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        """The key with ``key_id`` and its stored hash, if any (revoked keys too)."""

    @abc.abstractmethod
    async def api_keys(self) -> list[ApiKey]:
        """Every key, oldest first."""

    @abc.abstractmethod
    async def revoke_api_key(self, key_id: str, *, now: float) -> bool:
        """Revoke a key; False if there is no such live key."""

    # --- identity links -----------------------------------------------------------------------------

    @abc.abstractmethod
    async def add_links(self, consent_id: str, identifiers: Sequence[str], *, now: float, source: str) -> int:
        """Link ``consent_id`` to each identifier (idempotent); returns how many links are new."""

    @abc.abstractmethod
    async def links_of(self, subjects: Sequence[str]) -> list[tuple[str, str]]:
        """Every ``(identifier, consent_id)`` link whose identifier or consent id is in ``subjects``."""

    @abc.abstractmethod
    async def linked_consent_ids(self, identifier: str) -> list[str]:
        """The consent ids linked to an identifier such as ``email:<sha256>``, in byte order."""

    @abc.abstractmethod
    async def remove_links(self, subjects: Sequence[str]) -> int:
        """Delete every link whose consent id or identifier is in ``subjects`` (erasure); returns how many."""

    # --- the changes feed ---------------------------------------------------------------------------

    @abc.abstractmethod
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

    # --- the webhook outbox -------------------------------------------------------------------------

    @abc.abstractmethod
    async def claim_deliveries(self, owner: str, *, now: float, lease: float, limit: int) -> list[Delivery]:
        """Lease up to ``limit`` due deliveries to ``owner`` until ``now + lease``.

        A delivery is due when pending, its ``next_at`` has come and no lease on it is running, and no
        earlier pending delivery of the same subject to the same endpoint exists (order per subject).
        Each claim counts as an attempt. Two workers never hold the same delivery at once.
        """

    @abc.abstractmethod
    async def has_due_deliveries(self, *, now: float) -> bool:
        """Whether any pending delivery is due (a cheap read before a claim)."""

    @abc.abstractmethod
    async def finish_deliveries(self, owner: str, outcomes: Sequence[Outcome], *, now: float) -> None:
        """Record what ``owner`` learnt; a retry only applies while ``owner`` still holds the lease."""

    @abc.abstractmethod
    async def deliveries(
        self, *, state: str | None = None, msg_id: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """The newest deliveries (optionally in one state, or of one message), newest first."""

    @abc.abstractmethod
    async def replay_deliveries(self, *, now: float, msg_id: str | None = None, state: str = "dead") -> int:
        """Make deliveries pending again, due now, with a fresh retry window; returns how many.

        ``msg_id`` replays that message (whatever its state); otherwise every delivery in ``state``.
        """
