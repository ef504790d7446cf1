"""The embedded SQLite store: WAL, full fsync, one writer thread that commits appends in batches.

Why a single writer with group commit: SQLite allows one writer at a time and, with
``synchronous=FULL``, every commit costs an fsync. The writer thread takes every append waiting in
its queue, writes them in one transaction (one fsync), and only then resolves each caller's future,
so a choice is answered after its record is on disk and throughput grows with the load instead of
being capped by the fsync rate. Reads use their own connections on a small thread pool (WAL lets
them run beside the writer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import StoreError
from ..ledger.records import ConsentRecord
from ..webhooks.outbox import OutboxEvent
from .base import ChainRow, Store, decode_record, encode_content
from .schema import LATEST, MIGRATIONS
from .sqlite_api import SQLiteApiMixin, write_events

__all__ = ["SQLiteStore"]

_T = TypeVar("_T")

#: Most appends written in one transaction; bounds the latency of the first one in a batch.
_MAX_BATCH = 512


@dataclass(slots=True)
class _Job:
    record: ConsentRecord
    shown: bytes | None
    future: asyncio.Future[ConsentRecord]
    loop: asyncio.AbstractEventLoop
    events: Sequence[OutboxEvent] = ()


class SQLiteStore(SQLiteApiMixin, Store):
    """Consent records in one SQLite file (``sqlite:///path`` in the config).

    ``migrate=False`` refuses to start on an out-of-date schema instead of upgrading it (the config
    key ``migrate_on_start``); ``consentgate migrate`` then upgrades it.
    """

    def __init__(self, path: str | Path, *, migrate: bool = True, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self._migrate_on_open = migrate
        self._busy_timeout = busy_timeout
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._write_conn: sqlite3.Connection | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._read_conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._open_lock = asyncio.Lock()
        #: Shown hashes already stored (read and written by the writer thread only).
        self._known_shown: set[str] = set()

    # --- life cycle ----------------------------------------------------------------------------------

    async def open(self) -> None:
        async with self._open_lock:
            if self._writer is not None:
                return
            if not self._migrate_on_open and not await asyncio.to_thread(Path(self.path).exists):
                raise StoreError(
                    f"the SQLite database {self.path!r} does not exist; run 'consentgate migrate' "
                    "(or set migrate_on_start = true) to create it."
                )
            try:
                conn = await asyncio.to_thread(self._connect)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the SQLite database {self.path!r}: {exc}.") from None
            try:
                if self._migrate_on_open:
                    await asyncio.to_thread(_migrate, conn)
                else:
                    version = await asyncio.to_thread(_version, conn)
                    _check_version(version)
            except BaseException as exc:
                conn.close()
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"cannot open the SQLite database {self.path!r}: {exc}.") from None
                raise
            self._write_conn = conn
            self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="consentgate-sqlite-read")
            self._writer = threading.Thread(
                target=self._write_loop, args=(conn,), name="consentgate-sqlite-writer", daemon=True
            )
            self._writer.start()

    async def close(self) -> None:
        async with self._open_lock:
            writer, self._writer = self._writer, None
            if writer is None:
                return
            self._queue.put(None)  # the writer finishes every append queued before this
            await asyncio.to_thread(writer.join)
            if self._readers is not None:
                self._readers.shutdown(wait=True)
                self._readers = None
            with self._conns_lock:
                for conn in self._read_conns:
                    conn.close()
                self._read_conns.clear()
            self._local = threading.local()
            if self._write_conn is not None:
                self._write_conn.close()
                self._write_conn = None

    def _connect(self) -> sqlite3.Connection:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an answered choice survives a crash or power cut.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    # --- appends: the writer thread --------------------------------------------------------------------

    async def append(
        self, record: ConsentRecord, *, shown: bytes | None = None, events: Sequence[OutboxEvent] = ()
    ) -> ConsentRecord:
        if self._writer is None:
            raise StoreError("the store is not open; call 'await store.open()' first.")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ConsentRecord] = loop.create_future()
        self._queue.put(_Job(record, shown, future, loop, events))
        # shield: a client that goes away must not cancel the wait for a write already under way.
        return await asyncio.shield(future)

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            try:
                results = self._write_batch(conn, batch)
            except BaseException as exc:  # never leave a caller waiting, whatever went wrong
                error = StoreError(f"cannot write to the SQLite database {self.path!r}: {exc!r}.")
                results = [error] * len(batch)
                with contextlib.suppress(sqlite3.Error):
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
            # One wake-up of each event loop per batch, not one per append: every
            # call_soon_threadsafe writes to the loop's self-pipe.
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[ConsentRecord], Any]]] = {}
            for job, result in zip(batch, results, strict=True):
                by_loop.setdefault(job.loop, []).append((job.future, result))
            for loop, settled in by_loop.items():
                with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting
                    loop.call_soon_threadsafe(_settle_all, settled)

    def _write_batch(self, conn: sqlite3.Connection, batch: list[_Job]) -> list[ConsentRecord | Exception]:
        """Write ``batch`` in one transaction (one fsync); a failing append fails alone."""
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            error = StoreError(f"cannot write to the SQLite database {self.path!r}: {exc}.")
            return [error] * len(batch)
        now = time.time()
        shown = self._shown_to_store(batch)
        results: list[ConsentRecord | Exception]
        try:
            # The common case, without a savepoint per append (each costs two statements).
            results = [self._write_one(conn, job, shown, now) for job in batch]
        except Exception:  # one bad append: redo the batch one by one, so it fails alone
            conn.execute("ROLLBACK")
            conn.execute("BEGIN IMMEDIATE")
            results = [self._write_one_alone(conn, job, shown, now) for job in batch]
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            error = StoreError(f"cannot commit to the SQLite database {self.path!r}: {exc}.")
            return [error] * len(batch)
        self._known_shown.update(shown)
        return results

    def _shown_to_store(self, batch: list[_Job]) -> dict[str, bytes]:
        """The shown texts of ``batch`` this writer has not stored yet (most batches: none)."""
        shown: dict[str, bytes] = {}
        for job in batch:
            key = job.record.shown_hash
            if job.shown is not None and key not in self._known_shown:
                shown.setdefault(key, job.shown)
        return shown

    def _write_one(
        self, conn: sqlite3.Connection, job: _Job, shown: dict[str, bytes], now: float
    ) -> ConsentRecord:
        text = shown.get(job.record.shown_hash)
        chained = _insert(conn, job.record, text, now)
        write_events(conn, chained, job.events, now)  # the outbox, in the record's transaction
        return chained

    def _write_one_alone(
        self, conn: sqlite3.Connection, job: _Job, shown: dict[str, bytes], now: float
    ) -> ConsentRecord | Exception:
        conn.execute("SAVEPOINT one")
        try:
            chained = self._write_one(conn, job, shown, now)
        except Exception as exc:
            conn.execute("ROLLBACK TO one")
            conn.execute("RELEASE one")
            return StoreError(f"cannot store record {job.record.record_id!r}: {exc}.")
        conn.execute("RELEASE one")
        return chained

    # --- reads -------------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
            self._local.conn = conn
            with self._conns_lock:
                self._read_conns.append(conn)
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        if self._readers is None:
            raise StoreError("the store is not open; call 'await store.open()' first.")

        def run() -> _T:
            return fn(self._reader())

        try:
            return await asyncio.get_running_loop().run_in_executor(self._readers, run)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the SQLite database {self.path!r}: {exc}.") from None

    async def records(self, consent_id: str) -> list[ConsentRecord]:
        rows = await self._read(
            lambda c: c.execute(
                "SELECT data, prev_hash, hash FROM records WHERE consent_id = ? AND data IS NOT NULL"
                " ORDER BY seq",
                (consent_id,),
            ).fetchall()
        )
        return [decode_record(row[0], row[1], row[2]) for row in rows]

    async def iter_records(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        consent_ids: Sequence[str] | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ConsentRecord]:
        # Keyset pages (seq > last) instead of one long cursor: constant memory, and no read
        # transaction held open for the whole export (which would stop WAL checkpoints).
        if consent_ids is not None and not consent_ids:
            return
        where, params = _filters(since, until, consent_ids)
        where.append("seq > ?")
        sql = (
            f"SELECT seq, data, prev_hash, hash FROM records WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?"
        )
        last = 0
        while True:
            args = (*params, last, batch_size)
            rows = await self._read(_fetch_all(sql, args))
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
        sql = f"SELECT COUNT(*) FROM records WHERE {' AND '.join(where)}"
        rows = await self._read(_fetch_all(sql, params))
        return int(rows[0][0])

    async def shown_text(self, shown_hash: str) -> bytes | None:
        row = await self._read(
            lambda c: c.execute("SELECT body FROM shown WHERE hash = ?", (shown_hash,)).fetchone()
        )
        return None if row is None else bytes(row[0])

    # --- schema ------------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        conn = await asyncio.to_thread(self._connect)
        try:
            return await asyncio.to_thread(_version, conn)
        finally:
            conn.close()

    async def migrate(self) -> list[int]:
        conn = await asyncio.to_thread(self._connect)
        try:
            return await asyncio.to_thread(_migrate, conn)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot migrate the SQLite database {self.path!r}: {exc}.") from None
        finally:
            conn.close()

    # --- verify, prune, tombstones -------------------------------------------------------------------

    async def iter_chain(self, *, batch_size: int = 1000) -> AsyncIterator[ChainRow]:
        sql = (
            "SELECT r.seq, r.record_id, r.consent_id, r.prev_hash, r.content_hash, r.hash,"
            " r.prev_record_id, r.data, h.hash, h.record_id"
            " FROM records r LEFT JOIN heads h ON h.consent_id = r.consent_id"
            " WHERE (r.consent_id, r.seq) > (?, ?) ORDER BY r.consent_id, r.seq LIMIT ?"
        )
        last: tuple[str, int] = ("", 0)
        while True:
            args = (*last, batch_size)
            rows = await self._read(_fetch_all(sql, args))
            for row in rows:
                yield ChainRow(*row)
            if len(rows) < batch_size:
                return
            last = (rows[-1][2], rows[-1][0])

    async def iter_orphan_heads(self) -> AsyncIterator[tuple[str, str, str]]:
        rows = await self._read(
            lambda c: c.execute(
                "SELECT consent_id, hash, record_id FROM heads h WHERE NOT EXISTS"
                " (SELECT 1 FROM records r WHERE r.consent_id = h.consent_id) ORDER BY consent_id"
            ).fetchall()
        )
        for row in rows:
            yield (row[0], row[1], row[2])

    async def prune(self, keep_after: float, *, batch_size: int = 500) -> int:
        return await self._exclusive(lambda c: _prune(c, keep_after, batch_size))

    async def tombstone(self, consent_ids: Sequence[str], *, now: float) -> int:
        return await self._exclusive(lambda c: _tombstone(c, list(dict.fromkeys(consent_ids)), now))

    async def add_log_rollup(
        self, batch_id: str, counts: Sequence[tuple[int, str, str, int]], *, lines: int, now: float
    ) -> bool:
        rows = list(counts)
        return bool(await self._exclusive(lambda c: _add_log_rollup(c, batch_id, rows, lines, now)))

    async def log_rollups(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[tuple[int, str, str, int]]:
        sql = "SELECT hour, dimension, key, count FROM log_rollups WHERE hour >= ? AND hour < ? ORDER BY hour"
        args = (-(2**62) if since is None else since, 2**62 if until is None else until)
        rows = await self._read(_fetch_all(sql, args))
        return [(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    async def _exclusive(self, fn: Callable[[sqlite3.Connection], int]) -> int:
        """Run a maintenance write on its own connection (BEGIN IMMEDIATE waits for the writer)."""

        def run() -> int:
            conn = self._connect()
            try:
                return fn(conn)
            finally:
                conn.close()

        try:
            return await asyncio.to_thread(run)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the SQLite database {self.path!r}: {exc}.") from None


# --- helpers run on a worker thread -------------------------------------------------------------------


def _filters(
    since: float | None, until: float | None, consent_ids: Sequence[str] | None
) -> tuple[list[str], list[Any]]:
    where = ["data IS NOT NULL"]
    params: list[Any] = []
    if since is not None:
        where.append("time >= ?")
        params.append(since)
    if until is not None:
        where.append("time < ?")
        params.append(until)
    if consent_ids is not None:
        # json_each keeps one statement whatever the number of ids (no 999-variable limit).
        where.append("consent_id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(dict.fromkeys(consent_ids))))
    return where, params


def _fetch_all(sql: str, args: Sequence[Any]) -> Callable[[sqlite3.Connection], list[Any]]:
    def run(conn: sqlite3.Connection) -> list[Any]:
        return conn.execute(sql, args).fetchall()

    return run


def _settle_all(settled: list[tuple[asyncio.Future[ConsentRecord], ConsentRecord | Exception]]) -> None:
    for future, result in settled:
        _settle(future, result)


def _settle(future: asyncio.Future[ConsentRecord], result: ConsentRecord | Exception) -> None:
    if future.done():
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)


def _insert(
    conn: sqlite3.Connection, record: ConsentRecord, shown: bytes | None, now: float
) -> ConsentRecord:
    head = conn.execute(
        "SELECT hash, record_id FROM heads WHERE consent_id = ?", (record.consent_id,)
    ).fetchone()
    prev_hash, prev_record_id = (head[0], head[1]) if head else ("", "")
    content = record.content_hash()
    chained = record.chained(prev_hash, content)
    keep_until = max(record.time, record.expires_at)
    data = encode_content(chained)
    conn.execute(
        "INSERT INTO records (record_id, consent_id, time, keep_until, content_hash, prev_hash, hash,"
        " prev_record_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.record_id,
            record.consent_id,
            record.time,
            keep_until,
            content,
            prev_hash,
            chained.hash,
            prev_record_id,
            data,
        ),
    )
    conn.execute(
        "INSERT INTO heads (consent_id, hash, record_id, prev_hash, prev_record_id, count, keep_until)"
        " VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (consent_id) DO UPDATE SET hash = excluded.hash,"
        " record_id = excluded.record_id, prev_hash = excluded.prev_hash,"
        " prev_record_id = excluded.prev_record_id, count = heads.count + 1,"
        " keep_until = MAX(heads.keep_until, excluded.keep_until)",
        (record.consent_id, chained.hash, record.record_id, prev_hash, prev_record_id, keep_until),
    )
    if shown is not None:
        conn.execute(
            "INSERT OR IGNORE INTO shown (hash, body, first_seen) VALUES (?, ?, ?)",
            (record.shown_hash, shown, now),
        )
    return chained


def _version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


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


def _migrate(conn: sqlite3.Connection) -> list[int]:
    applied: list[int] = []
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version"
        " (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    for migration in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")  # one migrator at a time, even across processes
        try:
            if _version(conn) >= migration.version:
                conn.execute("ROLLBACK")
                continue
            for statement in migration.sqlite:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, time.time()),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    _check_version(_version(conn))
    return applied


def _prune(conn: sqlite3.Connection, keep_after: float, batch_size: int) -> int:
    removed = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT consent_id FROM heads WHERE keep_until < ? LIMIT ?", (keep_after, batch_size)
                )
            ]
            if ids:
                marks = ",".join("?" * len(ids))
                cursor = conn.execute(f"DELETE FROM records WHERE consent_id IN ({marks})", ids)
                removed += cursor.rowcount
                conn.execute(f"DELETE FROM heads WHERE consent_id IN ({marks})", ids)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if len(ids) < batch_size:
            return removed


def _tombstone(conn: sqlite3.Connection, consent_ids: list[str], now: float) -> int:
    changed = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for consent_id in consent_ids:
            key = "deleted:" + secrets.token_hex(16)
            cursor = conn.execute(
                "UPDATE records SET consent_id = ?, data = NULL, tombstoned_at = ? WHERE consent_id = ?",
                (key, now, consent_id),
            )
            changed += cursor.rowcount
            conn.execute("UPDATE heads SET consent_id = ? WHERE consent_id = ?", (key, consent_id))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return changed


def _add_log_rollup(
    conn: sqlite3.Connection, batch_id: str, rows: list[tuple[int, str, str, int]], lines: int, now: float
) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO log_rollup_batches (batch_id, lines, rolled_at) VALUES (?, ?, ?)",
            (batch_id, lines, now),
        )
        if cursor.rowcount:
            conn.executemany(
                "INSERT INTO log_rollups (hour, dimension, key, count) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (hour, dimension, key) DO UPDATE SET count = log_rollups.count + excluded.count",
                rows,
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return cursor.rowcount
