"""SQLite's side of the SQL: how it reads the shared templates, and the statements only it runs.

The shared templates (``store/queries.py``) already use SQLite's numbered parameters (``?N``). A list
of ids is bound as one JSON array and read with ``json_each``: one statement whatever the number of
ids, so no limit on variables. SQLite has no row locks; a claim runs in a ``BEGIN IMMEDIATE``
transaction, which excludes every other writer, so ``FOR UPDATE SKIP LOCKED`` is dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from ..queries import FACT_COLUMNS, Statements

__all__ = [
    "CHAINED_HEAD",
    "CREATE_SCHEMA_VERSION",
    "DELETE_HEADS_OF",
    "EXPIRED_HEADS",
    "INSERT_RECORD",
    "RECORDS_AFTER",
    "SCHEMA_VERSION_EXISTS",
    "SQLITE",
    "STATEMENTS",
    "UPSERT_HEAD",
    "SQLiteDialect",
]

_ANY = re.compile(r"= ANY\(\?(\d+)\)")
_UNNEST = re.compile(r"unnest\(\?(\d+)\)")
_ROW_LOCK = re.compile(r"\s*FOR UPDATE SKIP LOCKED")


class SQLiteDialect:
    """Shared templates as SQLite runs them."""

    def render(self, template: str) -> str:
        """``= ANY(?N)`` and ``unnest(?N)`` over ``json_each``, without PostgreSQL's row locks."""
        sql = _ANY.sub(r"IN (SELECT value FROM json_each(?\1))", template)
        sql = _UNNEST.sub(r"(SELECT value FROM json_each(?\1))", sql)
        return _ROW_LOCK.sub("", sql)

    def bind_ids(self, values: Sequence[str]) -> str:
        """A list of ids as the JSON array ``json_each`` reads."""
        return json.dumps(list(values))


SQLITE = SQLiteDialect()
STATEMENTS = Statements().rendered(SQLITE)

# --- appends (the writer thread computes the link hash in Python) --------------------------------------

CHAINED_HEAD = "SELECT hash, record_id FROM heads WHERE consent_id = ?"
INSERT_RECORD = (
    "INSERT INTO records (record_id, consent_id, time, keep_until, content_hash, prev_hash, hash,"
    f" prev_record_id, data, {FACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPSERT_HEAD = (
    "INSERT INTO heads (consent_id, hash, record_id, prev_hash, prev_record_id, count, keep_until)"
    " VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (consent_id) DO UPDATE SET hash = excluded.hash,"
    " record_id = excluded.record_id, prev_hash = excluded.prev_hash,"
    " prev_record_id = excluded.prev_record_id, count = heads.count + 1,"
    " keep_until = MAX(heads.keep_until, excluded.keep_until)"
)

# --- the changes feed ---------------------------------------------------------------------------------

# One writer connection commits in seq order, so seq alone is the feed's order here: the feed is the
# plain keyset page in append order (arguments: the last seq, a limit).
RECORDS_AFTER = STATEMENTS.records_page[(False, False, False)]

# --- retention ----------------------------------------------------------------------------------------

EXPIRED_HEADS = "SELECT consent_id FROM heads WHERE keep_until < ? LIMIT ?"
DELETE_HEADS_OF = SQLITE.render("DELETE FROM heads WHERE consent_id = ANY(?1)")

# --- the schema ---------------------------------------------------------------------------------------

SCHEMA_VERSION_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
CREATE_SCHEMA_VERSION = (
    "CREATE TABLE IF NOT EXISTS schema_version"
    " (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at REAL NOT NULL)"
)
