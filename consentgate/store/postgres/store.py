"""The PostgreSQL store, for sites that run several app servers against one database (asyncpg).

Why asyncpg: measured on this append path (one prepared statement per choice, autocommit, 32-64
concurrent appends over a pool of 10) with ``bench/bench_pg_drivers.py``, both drivers reach about
the same appends per second (PostgreSQL's commit is the limit), but asyncpg spends about 20% less
CPU in the app process per append (about 140 us against 175 us for psycopg 3's async pool), and that
CPU is shared with the HTTP work of the gate. It ships in the ``consentgate[postgres]`` extra.

Appends go to the :class:`~consentgate.store.postgres.writer.BatchWriters`; every other statement
runs on a pooled connection.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg

from ...errors import StoreError
from ...ledger.records import ConsentRecord
from ...webhooks.outbox import OutboxEvent
from ..api_base import Position
from ..codec import decode_record
from ..schema import check_version
from ..sql_store import SqlStore
from . import migrations
from .connections import OneOff, keep_session, safe_url
from .dialect import CHANGES_AFTER_SEQ_SQL, CHANGES_SQL, DELETE_EXPIRED_HEADS, POSTGRES, STATEMENTS
from .writer import BatchWriters

__all__ = ["PostgresStore"]


class PostgresStore(SqlStore):
    """Consent records in PostgreSQL (``postgresql://user@host:5432/db`` in the config).

    Query parameters of the URL go to the server as settings (e.g. ``?options=-csearch_path%3Dcg``
    to keep the tables in their own schema). ``migrate=False`` refuses an out-of-date schema.
    """

    _dialect = POSTGRES
    _sql = STATEMENTS

    def __init__(self, url: str, *, migrate: bool = True, min_size: int = 2, max_size: int = 10) -> None:
        self.url = url
        self._migrate_on_open = migrate
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._open_lock = asyncio.Lock()
        self._writers: BatchWriters | None = None

    # --- life cycle ----------------------------------------------------------------------------------

    async def open(self) -> None:
        async with self._open_lock:
            if self._pool is not None:
                return
            try:
                pool = await asyncpg.create_pool(
                    self.url, min_size=self._min_size, max_size=self._max_size, reset=keep_session
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                raise StoreError(f"cannot connect to PostgreSQL at {safe_url(self.url)}: {exc}.") from None
            try:
                async with pool.acquire() as conn:
                    if self._migrate_on_open:
                        await migrations.migrate(conn)
                    else:
                        check_version(await migrations.version(conn))
            except BaseException:
                await pool.close()
                raise
            self._pool = pool
            self._writers = BatchWriters(pool)
            self._writers.start()

    async def close(self) -> None:
        async with self._open_lock:
            if self._pool is None:
                return
            writers, self._writers = self._writers, None  # appends from now on are refused
            if writers is not None:
                await writers.stop()
            pool, self._pool = self._pool, None
            await pool.close()

    def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError("the store is not open; call 'await store.open()' first.")
        return self._pool

    def _connection(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A pooled connection when open, else a one-off one (the CLI migrates without opening)."""
        if self._pool is not None:
            pooled: AbstractAsyncContextManager[asyncpg.Connection] = self._pool.acquire()
            return pooled
        return OneOff(self.url)

    # --- appends -------------------------------------------------------------------------------------

    async def append(
        self, record: ConsentRecord, *, shown: bytes | None = None, events: Sequence[OutboxEvent] = ()
    ) -> ConsentRecord:
        writers = self._writers
        if writers is None:
            raise StoreError("the store is not open; call 'await store.open()' first.")
        try:
            content = record.content_hash()
        except (TypeError, ValueError) as exc:  # e.g. ``extra`` holding something JSON cannot say
            raise StoreError(f"cannot store record {record.record_id!r}: {exc}.") from None
        future = writers.submit(record, content, shown, events)
        # shield: a client that goes away must not cancel the wait for a write already under way.
        return await asyncio.shield(future)

    # --- the primitives of SqlStore --------------------------------------------------------------------

    async def _read_rows(self, sql: str, *args: Any) -> list[Any]:
        try:
            return list(await self._ready().fetch(sql, *args))
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot read PostgreSQL: {exc}.") from None

    async def _write_rows(self, sql: str, *args: Any) -> list[Any]:
        try:
            return list(await self._ready().fetch(sql, *args))
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot write to PostgreSQL: {exc}.") from None

    async def _write_count(self, sql: str, *args: Any) -> int:
        try:
            status = await self._ready().execute(sql, *args)
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot write to PostgreSQL: {exc}.") from None
        return int(status.rsplit(" ", 1)[-1])

    async def _write_many(self, steps: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        try:
            async with self._ready().acquire() as conn, conn.transaction():
                for sql, rows in steps:
                    if rows:
                        await conn.executemany(sql, rows)
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot write to PostgreSQL: {exc}.") from None

    # --- the changes feed ------------------------------------------------------------------------------

    async def changes(self, after: Position, limit: int) -> list[tuple[Position, ConsentRecord]]:
        txid, seq = after
        if txid == 0 and seq > 0:  # a cursor from before the feed kept transaction ids
            rows = await self._read_rows(CHANGES_AFTER_SEQ_SQL, seq, limit)
        else:
            rows = await self._read_rows(CHANGES_SQL, txid, seq, limit)
        return [((int(row[0]), row[1]), decode_record(row[2], row[3], row[4])) for row in rows]

    # --- retention, erasure, roll-ups ------------------------------------------------------------------

    async def prune(self, keep_after: float, *, batch_size: int = 500) -> int:
        removed = 0
        try:
            async with self._connection() as conn:
                while True:
                    async with conn.transaction():
                        ids = [
                            row[0] for row in await conn.fetch(DELETE_EXPIRED_HEADS, keep_after, batch_size)
                        ]
                        if ids:
                            status = await conn.execute(STATEMENTS.delete_records_of, ids)
                            removed += int(status.split()[-1])
                    if len(ids) < batch_size:
                        return removed
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot prune PostgreSQL: {exc}.") from None

    async def tombstone(self, consent_ids: Sequence[str], *, now: float) -> int:
        changed = 0
        try:
            async with self._connection() as conn, conn.transaction():
                for consent_id in sorted(set(consent_ids)):  # the lock order of the append batches
                    key = "deleted:" + secrets.token_hex(16)
                    # The head first: its row lock makes a concurrent append wait for this commit.
                    await conn.execute(STATEMENTS.tombstone_head, key, consent_id)
                    status = await conn.execute(STATEMENTS.tombstone_records, key, consent_id, now)
                    changed += int(status.split()[-1])
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot delete from PostgreSQL: {exc}.") from None
        return changed

    async def add_log_rollup(
        self, batch_id: str, counts: Sequence[tuple[int, str, str, int]], *, lines: int, now: float
    ) -> bool:
        try:
            async with self._connection() as conn, conn.transaction():
                status = await conn.execute(STATEMENTS.add_rollup_batch, batch_id, lines, now)
                if status.split()[-1] == "0":
                    return False
                await conn.executemany(STATEMENTS.add_rollup_count, list(counts))
                return True
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot store the log roll-up in PostgreSQL: {exc}.") from None

    # --- the schema ------------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        async with self._connection() as conn:
            return await migrations.version(conn)

    async def migrate(self) -> list[int]:
        async with self._connection() as conn:
            return await migrations.migrate(conn)
