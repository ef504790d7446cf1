"""The PostgreSQL append path: a few writer tasks that write the waiting appends in batches.

Why batches: like the SQLite writer, a few writer tasks take every append waiting and write them in
one transaction (the statements pipelined, one commit), so under load the commits, round trips and
per-call driver overhead are paid per batch, not per choice. An append alone is one round trip in
autocommit. A batch that fails is retried one record at a time, so one bad record fails alone. A
choice is answered only after PostgreSQL committed it (``synchronous_commit`` on, the server default).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from ...errors import StoreError
from ...ledger.records import ConsentRecord
from ...webhooks.outbox import OutboxEvent, outbox_rows
from ..codec import encode_content, record_facts
from .dialect import APPEND_SQL, CHAINED_ROWS, STATEMENTS

__all__ = ["BatchWriters", "append_args"]

#: Most appends one writer puts in one transaction.
_MAX_BATCH = 256
#: Writers (each with a pooled connection while it writes): batches form when appends outpace them.
_WRITERS = 4


def append_args(record: ConsentRecord, shown: bytes | None, content: str | None = None) -> tuple[Any, ...]:
    """The parameters of :data:`APPEND_SQL` for ``record`` (``content``: its content hash, if known)."""
    del shown  # stored by a statement of its own, once per hash
    keep_until = max(record.time, record.expires_at)
    return (
        record.consent_id,
        content or record.content_hash(),
        record.record_id,
        keep_until,
        record.time,
        encode_content(record),
        *record_facts(record),
    )


@dataclass(slots=True)
class _Pending:
    record: ConsentRecord
    content: str
    shown: bytes | None
    events: Sequence[OutboxEvent]
    future: asyncio.Future[ConsentRecord]


class BatchWriters:
    """The writer tasks of one pool; :meth:`submit` queues an append for them."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._known_shown: set[str] = set()

    def start(self) -> None:
        """Start the writer tasks (on the running loop)."""
        self._tasks = [
            asyncio.create_task(self._write_loop(), name=f"consentgate-pg-writer-{i}")
            for i in range(_WRITERS)
        ]

    async def stop(self) -> None:
        """Write every append queued so far, then end the writers."""
        for _ in self._tasks:
            self._queue.put_nowait(None)  # each writer ends after every append queued before
        await asyncio.gather(*self._tasks)
        self._tasks = []

    def submit(
        self, record: ConsentRecord, content: str, shown: bytes | None, events: Sequence[OutboxEvent]
    ) -> asyncio.Future[ConsentRecord]:
        """Queue an append (``content``: its content hash); the future resolves once it is committed."""
        future: asyncio.Future[ConsentRecord] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(record, content, shown, events, future))
        return future

    async def _write_loop(self) -> None:
        """One of the writers: takes every append waiting (up to a batch) and writes them together."""
        queue = self._queue
        while True:
            first = await queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < _MAX_BATCH and not queue.empty():
                item = queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            try:
                await self._write_batch(batch)
            except Exception as exc:  # never leave a caller waiting, whatever went wrong
                for pending in batch:
                    _settle(pending.future, StoreError(f"cannot store a record: {exc!r}."))
            if stopping:
                return

    async def _write_batch(self, batch: list[_Pending]) -> None:
        now = time.time()
        try:
            async with self._pool.acquire() as conn:
                for pending in batch:  # shown texts first, outside the record's transaction: idempotent
                    shown_hash = pending.record.shown_hash
                    if pending.shown is not None and shown_hash not in self._known_shown:
                        await conn.execute(STATEMENTS.store_shown, shown_hash, pending.shown, now)
                        self._known_shown.add(shown_hash)
                if len(batch) == 1 and not batch[0].events:
                    # Alone: one round trip, one commit (autocommit).
                    one = batch[0]
                    row = await conn.fetchrow(APPEND_SQL, *append_args(one.record, None, one.content))
                    assert row is not None  # INSERT ... SELECT FROM head always yields the one row
                    chained = {one.record.record_id: (row["prev_hash"], row["hash"])}
                else:
                    # Together: one transaction, one commit for the batch; the outbox rows join it.
                    async with conn.transaction():
                        chained = await _append_many(conn, batch, now)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            if len(batch) > 1:  # find the one that failed; the others still go in
                for pending in batch:
                    await self._write_batch([pending])
                return
            error = StoreError(f"cannot store record {batch[0].record.record_id!r}: {exc}.")
            _settle(batch[0].future, error)
            return
        for pending in batch:
            prev_hash, stored_hash = chained[pending.record.record_id]
            record = pending.record.chained(prev_hash, pending.content)
            if record.hash != stored_hash:  # Python and SQL must agree on the link hash
                _settle(pending.future, StoreError(f"record {record.record_id!r} has an unexpected hash."))
            else:
                _settle(pending.future, record)


async def _append_many(
    conn: asyncpg.Connection, batch: list[_Pending], now: float
) -> dict[str, tuple[str, str]]:
    """Append ``batch`` in the caller's transaction; ``{record_id: (prev_hash, hash)}``."""
    # Pipelined, in order: a later record of the same consent id sees the head the earlier one set.
    # Sorted by consent id (stable, so each consent id keeps its order): every writer of every
    # process then locks chain heads in the same order, so two batches never deadlock.
    ordered = sorted(batch, key=lambda p: p.record.consent_id)
    await conn.executemany(APPEND_SQL, [append_args(p.record, None, p.content) for p in ordered])
    rows = await conn.fetch(CHAINED_ROWS, [p.record.record_id for p in batch])
    chained = {row[0]: (row[1], row[2]) for row in rows}
    for pending in batch:
        if pending.events:
            prev_hash, _ = chained[pending.record.record_id]
            record = pending.record.chained(prev_hash, pending.content)
            await _write_events(conn, record, pending.events, now)
    return chained


async def _write_events(
    conn: asyncpg.Connection, record: ConsentRecord, events: Sequence[OutboxEvent], now: float
) -> None:
    """Insert the outbox rows of ``events`` on ``conn``, inside the caller's transaction."""
    rows = await conn.fetch(STATEMENTS.linked_subjects, record.consent_id)
    await conn.executemany(STATEMENTS.add_outbox, outbox_rows(record, events, [row[0] for row in rows], now))


def _settle(future: asyncio.Future[ConsentRecord], result: ConsentRecord | Exception) -> None:
    if future.done():
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)
