"""SQLite's multi-statement writes beside the appends: retention, erasure, log roll-ups.

Each runs on a connection of its own, on a worker thread, in ``BEGIN IMMEDIATE`` transactions: SQLite
lets one writer in at a time, so each waits for the append writer's current batch and excludes it
until it commits.
"""

from __future__ import annotations

import secrets
import sqlite3

from .dialect import DELETE_HEADS_OF, EXPIRED_HEADS, SQLITE, STATEMENTS

__all__ = ["add_log_rollup", "prune", "tombstone"]


def prune(conn: sqlite3.Connection, keep_after: float, batch_size: int) -> int:
    """Delete the chains whose heads expired before ``keep_after``, ``batch_size`` per transaction."""
    removed = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            ids = [row[0] for row in conn.execute(EXPIRED_HEADS, (keep_after, batch_size))]
            if ids:
                bound = SQLITE.bind_ids(ids)
                removed += conn.execute(STATEMENTS.delete_records_of, (bound,)).rowcount
                conn.execute(DELETE_HEADS_OF, (bound,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if len(ids) < batch_size:
            return removed


def tombstone(conn: sqlite3.Connection, consent_ids: list[str], now: float) -> int:
    """Tombstone every record of ``consent_ids`` in one transaction; returns how many."""
    changed = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for consent_id in consent_ids:
            key = "deleted:" + secrets.token_hex(16)
            changed += conn.execute(STATEMENTS.tombstone_records, (key, consent_id, now)).rowcount
            conn.execute(STATEMENTS.tombstone_head, (key, consent_id))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return changed


def add_log_rollup(
    conn: sqlite3.Connection, batch_id: str, rows: list[tuple[int, str, str, int]], lines: int, now: float
) -> int:
    """Record ``batch_id`` and add its counts, in one transaction; 0 if the batch was seen before."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        added = conn.execute(STATEMENTS.add_rollup_batch, (batch_id, lines, now)).rowcount
        if added:
            conn.executemany(STATEMENTS.add_rollup_count, rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return added
