"""The embedded SQLite store: WAL, full fsync, one writer thread for appends, readers beside it.

Appends go to the :class:`~consentgate.store.sqlite.writer.GroupCommitWriter`. Reads use their own
connections on a small thread pool (WAL lets them run beside the writer). Every other write (keys,
links, outbox updates, maintenance) takes a short-lived connection of its own with ``BEGIN
IMMEDIATE``: SQLite serialises it with the append writer, and a delivery lease is one atomic
``UPDATE ... RETURNING``, so two workers (threads or processes) never lease the same delivery.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ...errors import StoreError
from ...ledger.records import ConsentRecord
from ...webhooks.outbox import OutboxEvent
from ..api_base import Position
from ..codec import decode_record
from ..schema import check_version
from ..sql_store import SqlStore
from . import maintenance, migrations
from .dialect import RECORDS_AFTER, SQLITE, STATEMENTS
from .writer import GroupCommitWriter

__all__ = ["SQLiteStore"]

_T = TypeVar("_T")


class SQLiteStore(SqlStore):
    """Consent records in one SQLite file (``sqlite:///path`` in the config).

    ``migrate=False`` refuses to start on an out-of-date schema instead of upgrading it (the config
    key ``migrate_on_start``); ``consentgate migrate`` then upgrades it.
    """

    _dialect = SQLITE
    _sql = STATEMENTS

    def __init__(self, path: str | Path, *, migrate: bool = True, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self._migrate_on_open = migrate
        self._busy_timeout = busy_timeout
        self._writer: GroupCommitWriter | None = None
        self._write_conn: sqlite3.Connection | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._read_conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._open_lock = asyncio.Lock()

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
            conn = await asyncio.to_thread(self._connect)
            try:
                if self._migrate_on_open:
                    await asyncio.to_thread(migrations.migrate, conn)
                else:
                    check_version(await asyncio.to_thread(migrations.version, conn))
            except BaseException as exc:
                conn.close()
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"cannot open the SQLite database {self.path!r}: {exc}.") from None
                raise
            self._write_conn = conn
            self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="consentgate-sqlite-read")
            self._writer = GroupCommitWriter(self.path, conn)
            self._writer.start()

    async def close(self) -> None:
        async with self._open_lock:
            writer, self._writer = self._writer, None
            if writer is None:
                return
            await asyncio.to_thread(writer.stop)  # the writer finishes every append queued before
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
        """A connection in WAL mode, or a :class:`StoreError` that says why the path cannot hold one."""
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            where = f" ({exc.filename!r})" if exc.filename else ""
            raise StoreError(
                f"cannot make the folder of the SQLite database {self.path!r}: {exc.strerror}{where}."
            ) from None
        try:
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite database {self.path!r}: {exc}.") from None
        try:
            # The first statement reads the file: a file that is not a database fails here.
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: the WAL is fsynced at every commit, so an answered choice survives a crash or power cut.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot open the SQLite database {self.path!r}: {exc}.") from None
        return conn

    # --- appends -------------------------------------------------------------------------------------

    async def append(
        self, record: ConsentRecord, *, shown: bytes | None = None, events: Sequence[OutboxEvent] = ()
    ) -> ConsentRecord:
        if self._writer is None:
            raise StoreError("the store is not open; call 'await store.open()' first.")
        future = self._writer.submit(record, shown, events)
        # shield: a client that goes away must not cancel the wait for a write already under way.
        return await asyncio.shield(future)

    # --- the primitives of SqlStore --------------------------------------------------------------------

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

    async def _read_rows(self, sql: str, *args: Any) -> list[Any]:
        if self._readers is None:
            raise StoreError("the store is not open; call 'await store.open()' first.")

        def run() -> list[Any]:
            return self._reader().execute(sql, args).fetchall()

        try:
            return await asyncio.get_running_loop().run_in_executor(self._readers, run)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the SQLite database {self.path!r}: {exc}.") from None

    async def _write_rows(self, sql: str, *args: Any) -> list[Any]:
        return await self._write(lambda c: c.execute(sql, args).fetchall())

    async def _write_count(self, sql: str, *args: Any) -> int:
        return await self._write(lambda c: c.execute(sql, args).rowcount)

    async def _write_many(self, steps: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        def run(conn: sqlite3.Connection) -> None:
            for sql, rows in steps:
                if rows:
                    conn.executemany(sql, rows)

        await self._write(run)

    async def _write(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction on a connection of its own."""

        def run(conn: sqlite3.Connection) -> _T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return result

        return await self._exclusive(run)

    async def _exclusive(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``fn`` on a connection of its own, on a worker thread (it manages its transactions)."""

        def run() -> _T:
            conn = self._connect()
            try:
                return fn(conn)
            finally:
                conn.close()

        try:
            return await asyncio.to_thread(run)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the SQLite database {self.path!r}: {exc}.") from None

    # --- the changes feed ------------------------------------------------------------------------------

    async def changes(self, after: Position, limit: int) -> list[tuple[Position, ConsentRecord]]:
        # One writer connection commits in seq order: every position is (0, seq), and the txid half
        # of a position from elsewhere is ignored.
        rows = await self._read_rows(RECORDS_AFTER, after[1], limit)
        return [((0, row[0]), decode_record(row[1], row[2], row[3])) for row in rows]

    # --- retention, erasure, roll-ups ------------------------------------------------------------------

    async def prune(self, keep_after: float, *, batch_size: int = 500) -> int:
        return await self._exclusive(lambda c: maintenance.prune(c, keep_after, batch_size))

    async def tombstone(self, consent_ids: Sequence[str], *, now: float) -> int:
        ids = list(dict.fromkeys(consent_ids))
        return await self._exclusive(lambda c: maintenance.tombstone(c, ids, now))

    async def add_log_rollup(
        self, batch_id: str, counts: Sequence[tuple[int, str, str, int]], *, lines: int, now: float
    ) -> bool:
        rows = list(counts)
        return bool(
            await self._exclusive(lambda c: maintenance.add_log_rollup(c, batch_id, rows, lines, now))
        )

    # --- the schema ------------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        conn = await asyncio.to_thread(self._connect)
        try:
            return await asyncio.to_thread(migrations.version, conn)
        finally:
            conn.close()

    async def migrate(self) -> list[int]:
        conn = await asyncio.to_thread(self._connect)
        try:
            return await asyncio.to_thread(migrations.migrate, conn)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot migrate the SQLite database {self.path!r}: {exc}.") from None
        finally:
            conn.close()
