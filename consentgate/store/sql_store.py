"""What both SQL backends do the same way: every store method that is one shared statement.

A backend provides four ways to run a statement (:meth:`SqlStore._read_rows` and the three writes)
and its rendered :class:`~consentgate.store.queries.Statements`; the methods here are written once
over them. What differs in how the backends work (appends, the changes feed, retention and erasure,
migrations) stays in each backend.
"""

from __future__ import annotations

import abc
import math
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

from ..api.keys import ApiKey
from ..ledger.records import ConsentRecord
from ..webhooks.outbox import Delivery, Outcome
from .analytics_sql import SqlAnalytics
from .base import ChainRow, Store
from .codec import api_key_of, chain_row_of, decode_record, delivery_of, rollup_of
from .queries import Dialect, Statements, delivery_args, record_args

__all__ = ["SqlStore"]

#: Far beyond any hour a roll-up can name, for an open end of ``log_rollups``.
_NO_BOUND = 2**62


class SqlStore(SqlAnalytics, Store):
    """A :class:`Store` over SQL: the shared methods, and the primitives a backend provides."""

    #: How the backend writes the shared templates, and those templates in its SQL.
    _dialect: ClassVar[Dialect]
    _sql: ClassVar[Statements]

    # --- the primitives -------------------------------------------------------------------------------

    @abc.abstractmethod
    async def _read_rows(self, sql: str, *args: Any) -> list[Any]:
        """The rows of a read."""

    @abc.abstractmethod
    async def _write_rows(self, sql: str, *args: Any) -> list[Any]:
        """Run one write statement in a transaction of its own; the rows it returns (RETURNING)."""

    @abc.abstractmethod
    async def _write_count(self, sql: str, *args: Any) -> int:
        """Run one write statement in a transaction of its own; how many rows it changed."""

    @abc.abstractmethod
    async def _write_many(self, steps: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Run each ``(statement, rows of arguments)`` for every row, in order, in one transaction."""

    # --- the ledger ------------------------------------------------------------------------------------

    async def records(self, consent_id: str) -> list[ConsentRecord]:
        rows = await self._read_rows(self._sql.records_of, consent_id)
        return [decode_record(row[0], row[1], row[2]) for row in rows]

    async def iter_records(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        consent_ids: Sequence[str] | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ConsentRecord]:
        if consent_ids is not None and not consent_ids:
            return
        shape, params = record_args(self._dialect, since, until, consent_ids)
        sql = self._sql.records_page[shape]
        last = 0
        while True:
            rows = await self._read_rows(sql, *params, last, batch_size)
            for row in rows:
                yield decode_record(row[1], row[2], row[3])
            if len(rows) < batch_size:
                return
            last = rows[-1][0]

    async def count_records(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        consent_ids: Sequence[str] | None = None,
    ) -> int:
        if consent_ids is not None and not consent_ids:
            return 0
        shape, params = record_args(self._dialect, since, until, consent_ids)
        rows = await self._read_rows(self._sql.records_count[shape], *params)
        return int(rows[0][0])

    async def shown_text(self, shown_hash: str) -> bytes | None:
        rows = await self._read_rows(self._sql.shown_text, shown_hash)
        return bytes(rows[0][0]) if rows else None

    async def iter_chain(self, *, batch_size: int = 1000) -> AsyncIterator[ChainRow]:
        last: tuple[str, int] = ("", 0)
        while True:
            rows = await self._read_rows(self._sql.chain_page, *last, batch_size)
            for row in rows:
                yield chain_row_of(row)
            if len(rows) < batch_size:
                return
            last = (rows[-1][2], rows[-1][0])

    async def iter_orphan_heads(self) -> AsyncIterator[tuple[str, str, str]]:
        for row in await self._read_rows(self._sql.orphan_heads):
            yield (row[0], row[1], row[2])

    # --- request-log roll-ups --------------------------------------------------------------------------

    async def log_rollups(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[tuple[int, str, str, int]]:
        # Hours are whole seconds: hour >= since is hour >= ceil(since), and the same for until.
        low = -_NO_BOUND if since is None else math.ceil(since)
        high = _NO_BOUND if until is None else math.ceil(until)
        return [rollup_of(row) for row in await self._read_rows(self._sql.log_rollups, low, high)]

    # --- API keys --------------------------------------------------------------------------------------

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        await self._write_count(
            self._sql.add_api_key, key.key_id, key.name, key.scope, key_hash, key.created_at
        )

    async def api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        rows = await self._read_rows(self._sql.api_key, key_id)
        return (api_key_of(rows[0]), rows[0][5]) if rows else None

    async def api_keys(self) -> list[ApiKey]:
        return [api_key_of(row) for row in await self._read_rows(self._sql.api_keys)]

    async def revoke_api_key(self, key_id: str, *, now: float) -> bool:
        return bool(await self._write_count(self._sql.revoke_api_key, now, key_id))

    # --- identity links --------------------------------------------------------------------------------

    async def add_links(self, consent_id: str, identifiers: Sequence[str], *, now: float, source: str) -> int:
        ids = self._dialect.bind_ids(list(dict.fromkeys(identifiers)))
        return len(await self._write_rows(self._sql.add_links, ids, consent_id, now, source))

    async def links_of(self, subjects: Sequence[str]) -> list[tuple[str, str]]:
        ids = self._dialect.bind_ids(list(dict.fromkeys(subjects)))
        return [(row[0], row[1]) for row in await self._read_rows(self._sql.links_of, ids)]

    async def linked_consent_ids(self, identifier: str) -> list[str]:
        return [row[0] for row in await self._read_rows(self._sql.linked_consent_ids, identifier)]

    async def remove_links(self, subjects: Sequence[str]) -> int:
        ids = self._dialect.bind_ids(list(dict.fromkeys(subjects)))
        return len(await self._write_rows(self._sql.remove_links, ids))

    # --- the webhook outbox ----------------------------------------------------------------------------

    async def claim_deliveries(self, owner: str, *, now: float, lease: float, limit: int) -> list[Delivery]:
        rows = await self._write_rows(self._sql.claim_deliveries, now, now + lease, owner, limit)
        return sorted((delivery_of(row) for row in rows), key=lambda d: d.id)

    async def has_due_deliveries(self, *, now: float) -> bool:
        return bool(await self._read_rows(self._sql.has_due, now))

    async def finish_deliveries(self, owner: str, outcomes: Sequence[Outcome], *, now: float) -> None:
        retries = [
            (o.next_at, o.status, o.error[:500], o.id, owner) for o in outcomes if o.state == "pending"
        ]
        ends = [(o.state, now, o.status, o.error[:500], o.id) for o in outcomes if o.state != "pending"]
        await self._write_many([(self._sql.retry_delivery, retries), (self._sql.end_delivery, ends)])

    async def deliveries(
        self, *, state: str | None = None, msg_id: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        shape, params = delivery_args(state, msg_id, limit)
        return [delivery_of(row) for row in await self._read_rows(self._sql.deliveries[shape], *params)]

    async def replay_deliveries(self, *, now: float, msg_id: str | None = None, state: str = "dead") -> int:
        if msg_id is not None:
            return await self._write_count(self._sql.replay_message, now, msg_id)
        return await self._write_count(self._sql.replay_state, now, state)
