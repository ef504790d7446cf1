"""The one thread that writes every SQLite append, committing them in batches (group commit).

Why a single writer with group commit: SQLite allows one writer at a time and, with
``synchronous=FULL``, every commit costs an fsync. The writer thread takes every append waiting in
its queue, writes them in one transaction (one fsync), and only then resolves each caller's future,
so a choice is answered after its record is on disk and throughput grows with the load instead of
being capped by the fsync rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import StoreError
from ...ledger.records import ConsentRecord
from ...webhooks.outbox import OutboxEvent, outbox_rows
from ..codec import encode_content, record_facts
from .dialect import CHAINED_HEAD, INSERT_RECORD, STATEMENTS, UPSERT_HEAD

__all__ = ["GroupCommitWriter"]

#: Most appends written in one transaction; bounds the latency of the first one in a batch.
_MAX_BATCH = 512


@dataclass(slots=True)
class _Job:
    record: ConsentRecord
    shown: bytes | None
    future: asyncio.Future[ConsentRecord]
    loop: asyncio.AbstractEventLoop
    events: Sequence[OutboxEvent] = ()


class GroupCommitWriter:
    """Writes the appends queued by :meth:`submit` on ``conn``, from a thread of its own."""

    def __init__(self, path: str, conn: sqlite3.Connection) -> None:
        self._path = path
        self._conn = conn
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._write_loop, name="consentgate-sqlite-writer", daemon=True
        )
        #: Shown hashes already stored (read and written by the writer thread only).
        self._known_shown: set[str] = set()

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def stop(self) -> None:
        """Write every append queued so far, then end the thread (blocks until it has)."""
        self._queue.put(None)
        self._thread.join()

    def submit(
        self, record: ConsentRecord, shown: bytes | None, events: Sequence[OutboxEvent]
    ) -> asyncio.Future[ConsentRecord]:
        """Queue an append; the future (of the running loop) resolves once the record is durable."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ConsentRecord] = loop.create_future()
        self._queue.put(_Job(record, shown, future, loop, events))
        return future

    def _write_loop(self) -> None:
        conn = self._conn
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
                error = StoreError(f"cannot write to the SQLite database {self._path!r}: {exc!r}.")
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
            error = StoreError(f"cannot write to the SQLite database {self._path!r}: {exc}.")
            return [error] * len(batch)
        now = time.time()
        shown = self._shown_to_store(batch)
        results: list[ConsentRecord | Exception]
        try:
            # The common case, without a savepoint per append (each costs two statements).
            results = [_write_one(conn, job, shown, now) for job in batch]
        except Exception:  # one bad append: redo the batch one by one, so it fails alone
            conn.execute("ROLLBACK")
            conn.execute("BEGIN IMMEDIATE")
            results = [_write_one_alone(conn, job, shown, now) for job in batch]
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            error = StoreError(f"cannot commit to the SQLite database {self._path!r}: {exc}.")
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


def _write_one(conn: sqlite3.Connection, job: _Job, shown: dict[str, bytes], now: float) -> ConsentRecord:
    chained = _insert(conn, job.record, shown.get(job.record.shown_hash), now)
    _write_events(conn, chained, job.events, now)  # the outbox, in the record's transaction
    return chained


def _write_one_alone(
    conn: sqlite3.Connection, job: _Job, shown: dict[str, bytes], now: float
) -> ConsentRecord | Exception:
    conn.execute("SAVEPOINT one")
    try:
        chained = _write_one(conn, job, shown, now)
    except Exception as exc:
        conn.execute("ROLLBACK TO one")
        conn.execute("RELEASE one")
        return StoreError(f"cannot store record {job.record.record_id!r}: {exc}.")
    conn.execute("RELEASE one")
    return chained


def _insert(
    conn: sqlite3.Connection, record: ConsentRecord, shown: bytes | None, now: float
) -> ConsentRecord:
    head = conn.execute(CHAINED_HEAD, (record.consent_id,)).fetchone()
    prev_hash, prev_record_id = (head[0], head[1]) if head else ("", "")
    content = record.content_hash()
    chained = record.chained(prev_hash, content)
    keep_until = max(record.time, record.expires_at)
    data = encode_content(chained)
    conn.execute(
        INSERT_RECORD,
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
            *record_facts(record),
        ),
    )
    conn.execute(
        UPSERT_HEAD,
        (record.consent_id, chained.hash, record.record_id, prev_hash, prev_record_id, keep_until),
    )
    if shown is not None:
        conn.execute(STATEMENTS.store_shown, (record.shown_hash, shown, now))
    return chained


def _write_events(
    conn: sqlite3.Connection, record: ConsentRecord, events: Sequence[OutboxEvent], now: float
) -> None:
    """Insert the outbox rows of ``events`` on ``conn``, inside the caller's transaction."""
    if not events:
        return
    linked = [row[0] for row in conn.execute(STATEMENTS.linked_subjects, (record.consent_id,))]
    try:
        rows = outbox_rows(record, events, linked, now)
    except (TypeError, ValueError) as exc:
        # As an SQLite error, it rolls back this record alone instead of stopping the writer thread.
        raise sqlite3.DataError(f"the event cannot be encoded: {exc}") from None
    conn.executemany(STATEMENTS.add_outbox, rows)


def _settle_all(settled: list[tuple[asyncio.Future[ConsentRecord], ConsentRecord | Exception]]) -> None:
    for future, result in settled:
        if future.done():
            continue
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)
