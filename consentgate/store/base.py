"""The store interface: every backend (SQLite, PostgreSQL) implements it and passes one contract suite."""

from __future__ import annotations

import abc
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from ..errors import StoreError
from ..ledger.records import ConsentRecord
from ..webhooks.outbox import OutboxEvent
from .api_base import ApiStoreMixin

__all__ = ["ChainRow", "Store", "StoreError", "decode_record", "encode_content"]


def encode_content(record: ConsentRecord) -> str:
    """The JSON stored in ``records.data``: every field but the chain ones (those have columns).

    Leaving ``prev_hash`` and ``hash`` out lets PostgreSQL compute the link hash in the insert
    statement itself, and :func:`~consentgate.records.content_hash` ignores them anyway.
    """
    data = record.to_json()
    del data["prev_hash"], data["hash"]
    return json.dumps(data, separators=(",", ":"))


def decode_record(data: str, prev_hash: str, hash_: str) -> ConsentRecord:
    """The record stored as ``data`` plus its chain columns."""
    fields = json.loads(data)
    fields["prev_hash"] = prev_hash
    fields["hash"] = hash_
    return ConsentRecord.from_json(fields)


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


class Store(ApiStoreMixin, abc.ABC):
    """Durable storage of consent records and everything else the gate keeps.

    Methods are coroutines; a backend does its blocking I/O off the event loop. ``append`` returns
    only once the record is durable.
    """

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create or migrate the schema (idempotent)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Flush and release every resource."""

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

    # --- schema ------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def schema_version(self) -> int:
        """The version of the schema in the database (0 when there is none)."""

    @abc.abstractmethod
    async def migrate(self) -> list[int]:
        """Apply every pending migration in order; returns the versions applied (never destructive)."""

    # --- the ledger beyond appends -----------------------------------------------------------------

    @abc.abstractmethod
    async def shown_text(self, shown_hash: str) -> bytes | None:
        """The banner text and config stored under ``shown_hash``, if any."""

    @abc.abstractmethod
    def iter_chain(self, *, batch_size: int = 1000) -> AsyncIterator[ChainRow]:
        """Every row (tombstones too) ordered by consent id then append order, for ``verify``."""

    @abc.abstractmethod
    def iter_orphan_heads(self) -> AsyncIterator[tuple[str, str, str]]:
        """``(consent_id, head_hash, head_record_id)`` of every chain whose records are all gone."""

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

    async def linked_consent_ids(self, identifier: str) -> list[str]:
        """Consent ids linked to an identifier such as ``email:<sha256>`` (identity links, issue 6).

        The base store keeps no identity links; a store that does overrides this.
        """
        raise StoreError(
            f"cannot look up {identifier!r}: this store keeps no identity links; pass a consent id."
        )

    # --- request-log roll-ups (issue 7, consentgate/rollup.py) -------------------------------------

    @abc.abstractmethod
    async def add_log_rollup(
        self, batch_id: str, counts: Sequence[tuple[int, str, str, int]], *, lines: int, now: float
    ) -> bool:
        """Add ``(hour, dimension, key, count)`` rows to the hourly aggregates, once per ``batch_id``.

        In one transaction: the batch id is recorded and every count added to its row. A batch id
        seen before adds nothing and returns False (a roll-up retried after a crash).
        """

    @abc.abstractmethod
    async def log_rollups(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[tuple[int, str, str, int]]:
        """The ``(hour, dimension, key, count)`` rows whose hour starts in ``[since, until)``."""
