"""The SQLite schema's version and its migrations (``store/schema.py``), run on a worker thread."""

from __future__ import annotations

import sqlite3
import time

from ..schema import MIGRATIONS, check_version
from .dialect import CREATE_SCHEMA_VERSION, SCHEMA_VERSION_EXISTS, STATEMENTS

__all__ = ["migrate", "version"]


def version(conn: sqlite3.Connection) -> int:
    """The schema version of the database (0 when there is none)."""
    if not conn.execute(SCHEMA_VERSION_EXISTS).fetchone():
        return 0
    return int(conn.execute(STATEMENTS.schema_version).fetchone()[0])


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every pending migration, each in its own transaction; returns the versions applied."""
    applied: list[int] = []
    conn.execute(CREATE_SCHEMA_VERSION)
    for migration in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")  # one migrator at a time, even across processes
        try:
            if version(conn) >= migration.version:
                conn.execute("ROLLBACK")
                continue
            for statement in migration.sqlite:
                conn.execute(statement)
            conn.execute(STATEMENTS.record_migration, (migration.version, migration.description, time.time()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    check_version(version(conn))
    return applied
