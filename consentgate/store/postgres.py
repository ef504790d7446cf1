"""The PostgreSQL store, for sites that run several app servers against one database (asyncpg).

Why asyncpg: measured on this append path (one prepared statement per choice, autocommit, 32-64
concurrent appends over a pool of 10) with ``bench/bench_pg_drivers.py``, both drivers reach about
the same appends per second (PostgreSQL's commit is the limit), but asyncpg spends about 20% less
CPU in the app process per append (about 140 us against 175 us for psycopg 3's async pool), and that
CPU is shared with the HTTP work of the gate. It ships in the ``consentgate[postgres]`` extra.

Why one statement per record: the chain head of a consent id lives in ``heads``; the append upserts
that row (``INSERT ... ON CONFLICT DO UPDATE`` locks it, and sees its latest committed version even
under READ COMMITTED) and inserts the record with the link hash PostgreSQL computed from the old
head, in one statement. Two app servers appending to the same consent id queue on that row lock,
so the chain never forks, and a choice is answered only after PostgreSQL committed it
(``synchronous_commit`` on, the server default).

Why batches: like the SQLite writer, a few writer tasks take every append waiting and write them in
one transaction (the statements pipelined, one commit), so under load the commits, round trips and
per-call driver overhead are paid per batch, not per choice. An append alone is one round trip in
autocommit. A batch that fails is retried one record at a time, so one bad record fails alone.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from ..errors import StoreError
from ..ledger.records import ConsentRecord
from ..webhooks.outbox import OutboxEvent
from .base import ChainRow, Store, decode_record, encode_content
from .postgres_api import PostgresApiMixin, write_events
from .schema import LATEST, MIGRATIONS

__all__ = ["APPEND_SQL", "PostgresStore", "append_args"]

# The link hash is sha256 over prev_hash + "\n" + content_hash, exactly as records.link_hash does.
# txid places the record in the changes feed (postgres_api.py): this transaction's id, or the chain's
# latest record's if larger. A transaction can have its id before another that appends to the same
# consent id first (a batch that wrote another consent id first); the feed would then list this record
# before the one it follows in the chain. The larger id keeps the chain order, and the feed's horizon
# still holds: the txid is never below the writing transaction's own.
APPEND_SQL = """
WITH head AS (
    INSERT INTO heads AS h (consent_id, hash, record_id, prev_hash, prev_record_id, count, keep_until, txid)
    VALUES ($1::text, encode(sha256(convert_to(E'\\n' || $2::text, 'UTF8')), 'hex'), $3::text, '', '',
            1, $4::float8, pg_current_xact_id())
    ON CONFLICT (consent_id) DO UPDATE SET
        prev_hash = h.hash,
        prev_record_id = h.record_id,
        hash = encode(sha256(convert_to(h.hash || E'\\n' || $2::text, 'UTF8')), 'hex'),
        record_id = EXCLUDED.record_id,
        count = h.count + 1,
        keep_until = GREATEST(h.keep_until, EXCLUDED.keep_until),
        txid = GREATEST(h.txid, EXCLUDED.txid)
    RETURNING h.prev_hash, h.prev_record_id, h.hash, h.txid
)
INSERT INTO records (record_id, consent_id, time, keep_until, content_hash, prev_hash, hash,
                     prev_record_id, data, txid)
SELECT $3::text, $1::text, $5::float8, $4::float8, $2::text, head.prev_hash, head.hash,
       head.prev_record_id, $6::text, head.txid
FROM head
RETURNING prev_hash, hash
"""

_SHOWN_SQL = "INSERT INTO shown (hash, body, first_seen) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING"

#: Most appends one writer puts in one transaction.
_MAX_BATCH = 256
#: Writers (each with a pooled connection while it writes): batches form when appends outpace them.
_WRITERS = 4

#: Any fixed number: the advisory lock that serialises migrations across processes.
_MIGRATION_LOCK = 0x636F6E73656E74  # "consent"


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
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's ``reset`` (asyncpg 0.30+): nothing to undo on the server when a connection is released.

    The store leaves no session state behind (no SET, LISTEN, session advisory lock or cursor outside
    a transaction; asyncpg still rolls back an open transaction itself). The default reset sends four
    statements on every release: a round trip per query, about a tenth of a status lookup's cost.
    """


class PostgresStore(PostgresApiMixin, Store):
    """Consent records in PostgreSQL (``postgresql://user@host:5432/db`` in the config).

    Query parameters of the URL go to the server as settings (e.g. ``?options=-csearch_path%3Dcg``
    to keep the tables in their own schema). ``migrate=False`` refuses an out-of-date schema.
    """

    def __init__(self, url: str, *, migrate: bool = True, min_size: int = 2, max_size: int = 10) -> None:
        self.url = url
        self._migrate_on_open = migrate
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._known_shown: set[str] = set()
        self._open_lock = asyncio.Lock()
        self._queue: asyncio.Queue[_Pending | None] | None = None
        self._writers: list[asyncio.Task[None]] = []

    # --- life cycle ----------------------------------------------------------------------------------

    async def open(self) -> None:
        async with self._open_lock:
            if self._pool is not None:
                return
            try:
                pool = await asyncpg.create_pool(
                    self.url, min_size=self._min_size, max_size=self._max_size, reset=_keep_session
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                raise StoreError(f"cannot connect to PostgreSQL at {_safe(self.url)}: {exc}.") from None
            try:
                async with pool.acquire() as conn:
                    if self._migrate_on_open:
                        await _migrate(conn)
                    else:
                        _check_version(await _version(conn))
            except BaseException:
                await pool.close()
                raise
            self._pool = pool
            queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
            self._queue = queue
            self._writers = [
                asyncio.create_task(self._write_loop(queue), name=f"consentgate-pg-writer-{i}")
                for i in range(_WRITERS)
            ]

    async def close(self) -> None:
        async with self._open_lock:
            if self._pool is None:
                return
            queue, self._queue = self._queue, None  # appends from now on are refused
            if queue is not None:
                for _ in self._writers:
                    queue.put_nowait(None)  # each writer ends after every append queued before
                await asyncio.gather(*self._writers)
            self._writers = []
            pool, self._pool = self._pool, None
            await pool.close()

    def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError("the store is not open; call 'await store.open()' first.")
        return self._pool

    # --- appends and reads ---------------------------------------------------------------------------

    async def append(
        self, record: ConsentRecord, *, shown: bytes | None = None, events: Sequence[OutboxEvent] = ()
    ) -> ConsentRecord:
        queue = self._queue
        if queue is None:
            raise StoreError("the store is not open; call 'await store.open()' first.")
        try:
            content = record.content_hash()
        except (TypeError, ValueError) as exc:  # e.g. ``extra`` holding something JSON cannot say
            raise StoreError(f"cannot store record {record.record_id!r}: {exc}.") from None
        future: asyncio.Future[ConsentRecord] = asyncio.get_running_loop().create_future()
        queue.put_nowait(_Pending(record, content, shown, events, future))
        # shield: a client that goes away must not cancel the wait for a write already under way.
        return await asyncio.shield(future)

    async def _write_loop(self, queue: asyncio.Queue[_Pending | None]) -> None:
        """One of the writers: takes every append waiting (up to a batch) and writes them together."""
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
        pool = self._ready()
        now = time.time()
        try:
            async with pool.acquire() as conn:
                for pending in batch:  # shown texts first, outside the record's transaction: idempotent
                    shown_hash = pending.record.shown_hash
                    if pending.shown is not None and shown_hash not in self._known_shown:
                        await conn.execute(_SHOWN_SQL, shown_hash, pending.shown, now)
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

    async def records(self, consent_id: str) -> list[ConsentRecord]:
        rows = await self._fetch(
            "SELECT data, prev_hash, hash FROM records WHERE consent_id = $1 AND data IS NOT NULL"
            " ORDER BY seq",
            consent_id,
        )
        return [decode_record(row[0], row[1], row[2]) for row in rows]

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        try:
            return list(await self._ready().fetch(sql, *args))
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot read PostgreSQL: {exc}.") from None

    async def iter_records(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        consent_ids: Sequence[str] | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ConsentRecord]:
        # Keyset pages (seq > last) rather than one server-side cursor: constant memory, and no
        # transaction held open for the length of an export (it would hold back VACUUM).
        if consent_ids is not None and not consent_ids:
            return
        where, params = _filters(since, until, consent_ids)
        where.append(f"seq > ${len(params) + 1}")
        sql = (
            f"SELECT seq, data, prev_hash, hash FROM records WHERE {' AND '.join(where)}"
            f" ORDER BY seq LIMIT ${len(params) + 2}"
        )
        last = 0
        while True:
            rows = await self._fetch(sql, *params, last, batch_size)
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
        where, params = _filters(since, until, consent_ids)
        rows = await self._fetch(f"SELECT COUNT(*) FROM records WHERE {' AND '.join(where)}", *params)
        return int(rows[0][0])

    async def shown_text(self, shown_hash: str) -> bytes | None:
        rows = await self._fetch("SELECT body FROM shown WHERE hash = $1", shown_hash)
        return bytes(rows[0][0]) if rows else None

    # --- schema ------------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        async with self._connection() as conn:
            return await _version(conn)

    async def migrate(self) -> list[int]:
        async with self._connection() as conn:
            return await _migrate(conn)

    def _connection(self) -> Any:
        """A pooled connection when open, else a one-off one (the CLI migrates without opening)."""
        if self._pool is not None:
            return self._pool.acquire()
        return _OneOff(self.url)

    # --- verify, prune, tombstones -------------------------------------------------------------------

    async def iter_chain(self, *, batch_size: int = 1000) -> AsyncIterator[ChainRow]:
        sql = (
            "SELECT r.seq, r.record_id, r.consent_id, r.prev_hash, r.content_hash, r.hash,"
            " r.prev_record_id, r.data, h.hash, h.record_id"
            " FROM records r LEFT JOIN heads h ON h.consent_id = r.consent_id"
            " WHERE (r.consent_id, r.seq) > ($1, $2) ORDER BY r.consent_id, r.seq LIMIT $3"
        )
        last: tuple[str, int] = ("", 0)
        while True:
            rows = await self._fetch(sql, *last, batch_size)
            for row in rows:
                yield ChainRow(*row)
            if len(rows) < batch_size:
                return
            last = (rows[-1][2], rows[-1][0])

    async def iter_orphan_heads(self) -> AsyncIterator[tuple[str, str, str]]:
        rows = await self._fetch(
            "SELECT consent_id, hash, record_id FROM heads h WHERE NOT EXISTS"
            " (SELECT 1 FROM records r WHERE r.consent_id = h.consent_id) ORDER BY consent_id"
        )
        for row in rows:
            yield (row[0], row[1], row[2])

    async def prune(self, keep_after: float, *, batch_size: int = 500) -> int:
        removed = 0
        try:
            async with self._connection() as conn:
                while True:
                    async with conn.transaction():
                        # Deleting the head first locks it: an append to that consent id waits, then
                        # starts a fresh chain after this commit.
                        ids = [
                            row[0]
                            for row in await conn.fetch(
                                "DELETE FROM heads WHERE consent_id IN (SELECT consent_id FROM heads"
                                " WHERE keep_until < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
                                " RETURNING consent_id",
                                keep_after,
                                batch_size,
                            )
                        ]
                        if ids:
                            status = await conn.execute(
                                "DELETE FROM records WHERE consent_id = ANY($1::text[])", ids
                            )
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
                    await conn.execute(
                        "UPDATE heads SET consent_id = $1 WHERE consent_id = $2", key, consent_id
                    )
                    status = await conn.execute(
                        "UPDATE records SET consent_id = $1, data = NULL, tombstoned_at = $3"
                        " WHERE consent_id = $2",
                        key,
                        consent_id,
                        now,
                    )
                    changed += int(status.split()[-1])
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot delete from PostgreSQL: {exc}.") from None
        return changed

    async def add_log_rollup(
        self, batch_id: str, counts: Sequence[tuple[int, str, str, int]], *, lines: int, now: float
    ) -> bool:
        try:
            async with self._connection() as conn, conn.transaction():
                status = await conn.execute(
                    "INSERT INTO log_rollup_batches (batch_id, lines, rolled_at) VALUES ($1, $2, $3)"
                    " ON CONFLICT (batch_id) DO NOTHING",
                    batch_id,
                    lines,
                    now,
                )
                if status.split()[-1] == "0":
                    return False
                await conn.executemany(
                    "INSERT INTO log_rollups (hour, dimension, key, count) VALUES ($1, $2, $3, $4)"
                    " ON CONFLICT (hour, dimension, key) DO UPDATE SET count = log_rollups.count + excluded.count",
                    list(counts),
                )
                return True
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot store the log roll-up in PostgreSQL: {exc}.") from None

    async def log_rollups(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[tuple[int, str, str, int]]:
        low = -(2**62) if since is None else math.ceil(since)
        high = 2**62 if until is None else math.ceil(until)
        rows = await self._fetch(
            "SELECT hour, dimension, key, count FROM log_rollups WHERE hour >= $1 AND hour < $2 ORDER BY hour",
            low,
            high,
        )
        return [(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]


@dataclass(slots=True)
class _Pending:
    record: ConsentRecord
    content: str
    shown: bytes | None
    events: Sequence[OutboxEvent]
    future: asyncio.Future[ConsentRecord]


async def _append_many(
    conn: asyncpg.Connection, batch: list[_Pending], now: float
) -> dict[str, tuple[str, str]]:
    """Append ``batch`` in the caller's transaction; ``{record_id: (prev_hash, hash)}``."""
    # Pipelined, in order: a later record of the same consent id sees the head the earlier one set.
    # Sorted by consent id (stable, so each consent id keeps its order): every writer of every
    # process then locks chain heads in the same order, so two batches never deadlock.
    ordered = sorted(batch, key=lambda p: p.record.consent_id)
    await conn.executemany(APPEND_SQL, [append_args(p.record, None, p.content) for p in ordered])
    rows = await conn.fetch(
        "SELECT record_id, prev_hash, hash FROM records WHERE record_id = ANY($1::text[])",
        [p.record.record_id for p in batch],
    )
    chained = {row[0]: (row[1], row[2]) for row in rows}
    for pending in batch:
        if pending.events:
            prev_hash, _ = chained[pending.record.record_id]
            record = pending.record.chained(prev_hash, pending.content)
            await write_events(conn, record, pending.events, now)
    return chained


def _settle(future: asyncio.Future[ConsentRecord], result: ConsentRecord | Exception) -> None:
    if future.done():
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)


class _OneOff:
    """``async with _OneOff(url) as conn``: a connection of its own, closed afterwards."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        try:
            self._conn = await asyncpg.connect(self._url)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {_safe(self._url)}: {exc}.") from None
        return self._conn

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            await self._conn.close()


def _filters(
    since: float | None, until: float | None, consent_ids: Sequence[str] | None
) -> tuple[list[str], list[Any]]:
    where = ["data IS NOT NULL"]
    params: list[Any] = []
    if since is not None:
        params.append(since)
        where.append(f"time >= ${len(params)}")
    if until is not None:
        params.append(until)
        where.append(f"time < ${len(params)}")
    if consent_ids is not None:
        params.append(list(dict.fromkeys(consent_ids)))
        where.append(f"consent_id = ANY(${len(params)}::text[])")
    return where, params


def _safe(url: str) -> str:
    """The URL without its password, for error messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


async def _version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


def _check_version(version: int) -> None:
    if version < LATEST:
        raise StoreError(
            f"the database schema is at version {version} and this consentgate needs {LATEST}; "
            "run 'consentgate migrate' (or set migrate_on_start = true)."
        )
    if version > LATEST:
        raise StoreError(
            f"the database schema is at version {version}, newer than this consentgate knows ({LATEST}); "
            "upgrade consentgate."
        )


async def _migrate(conn: asyncpg.Connection) -> list[int]:
    applied: list[int] = []
    try:
        for migration in MIGRATIONS:
            async with conn.transaction():
                # One migrator at a time across every app server starting at once.
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                    " description TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
                )
                if await _version(conn) >= migration.version:
                    continue
                for statement in migration.postgres:
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.description,
                    time.time(),
                )
            applied.append(migration.version)
        _check_version(await _version(conn))
    except asyncpg.PostgresError as exc:
        raise StoreError(f"cannot migrate PostgreSQL: {exc}.") from None
    return applied
