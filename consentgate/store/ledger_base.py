"""The ledger half of the store: appends, reads, the chains ``verify`` walks, retention and erasure."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from ..ledger.records import ConsentRecord
from ..webhooks.outbox import OutboxEvent

__all__ = ["ChainRow", "LedgerStore"]


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One row of the ledger as stored, for ``verify``: the chain columns and the raw content.

    ``data`` is the record's JSON, or ``None`` for a tombstone (content removed by a data-subject
    deletion; the hashes stay so the chain still verifies). ``head_hash`` and ``head_record_id``
    are what the heads table says is the latest record of the consent id.
    """

    seq: int
    record_id: str
    consent_id: str
    prev_hash: str
    content_hash: str
    hash: str
    prev_record_id: str
    data: str | None
    head_hash: str | None
    head_record_id: str | None


class LedgerStore(abc.ABC):
    """Durable, hash-chained consent records.

    Methods are coroutines; a backend does its blocking I/O off the event loop. ``append`` returns
    only once the record is durable.
    """

    # --- appends and reads ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def append(
        self, record: ConsentRecord, *, shown: bytes | None = None, events: Sequence[OutboxEvent] = ()
    ) -> ConsentRecord:
        """Chain ``record`` to the previous one of its consent id and store it durably.

        ``shown`` is the banner text and config the visitor saw; it is stored once per
        ``record.shown_hash``. ``events`` go to the webhook outbox in the same transaction as the
        record. Returns the record with ``prev_hash`` and ``hash`` set.
        """

    @abc.abstractmethod
    async def records(self, consent_id: str) -> list[ConsentRecord]:
        """Every record of one consent id, oldest first."""

    @abc.abstractmethod
    def iter_records(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        consent_ids: Sequence[str] | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ConsentRecord]:
        """Every record in append order, streamed in constant memory.

        ``since`` is inclusive and ``until`` exclusive (UTC seconds); ``consent_ids`` keeps the
        records of those consent ids only. Tombstones are left out.
        """

    @abc.abstractmethod
    async def count_records(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        consent_ids: Sequence[str] | None = None,
    ) -> int:
        """How many records :meth:`iter_records` would yield with the same filters (for progress)."""

    @abc.abstractmethod
    async def shown_text(self, shown_hash: str) -> bytes | None:
        """The banner text and config stored under ``shown_hash``, if any."""

    # --- verify ----------------------------------------------------------------------------------------

    @abc.abstractmethod
    def iter_chain(self, *, batch_size: int = 1000) -> AsyncIterator[ChainRow]:
        """Every row (tombstones too) ordered by consent id then append order, for ``verify``."""

    @abc.abstractmethod
    def iter_orphan_heads(self) -> AsyncIterator[tuple[str, str, str]]:
        """``(consent_id, head_hash, head_record_id)`` of every chain whose records are all gone."""

    # --- retention and data-subject requests ---------------------------------------------------------

    @abc.abstractmethod
    async def prune(self, keep_after: float, *, batch_size: int = 500) -> int:
        """Remove every chain whose records' latest time and expiry are all before ``keep_after``.

        Whole chains go at once so what remains still verifies. Returns the records removed.
        """

    @abc.abstractmethod
    async def tombstone(self, consent_ids: Sequence[str], *, now: float) -> int:
        """Reduce every record of ``consent_ids`` to an anonymous tombstone; returns how many.

        The content and the consent id go; record ids, times and hashes stay, under a fresh random
        chain key, so ``verify`` still checks the links of the chain.
        """
