"""PostgreSQL's side of the SQL: how it reads the shared templates, and the statements only it runs.

A template's ``?N`` becomes ``$N`` and a list parameter a ``text[]`` (``= ANY($N::text[])``,
``unnest($N::text[])``). Only PostgreSQL computes the link hash in the append statement itself and
pages the changes feed by transaction id; both are here, with why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..queries import FACT_COLUMNS, Statements

__all__ = [
    "APPEND_SQL",
    "CHAINED_ROWS",
    "CHANGES_AFTER_SEQ_SQL",
    "CHANGES_SQL",
    "CREATE_SCHEMA_VERSION",
    "DELETE_EXPIRED_HEADS",
    "LOCK_MIGRATIONS",
    "MIGRATION_LOCK",
    "POSTGRES",
    "SCHEMA_VERSION_EXISTS",
    "STATEMENTS",
    "PostgresDialect",
]

_ANY = re.compile(r"= ANY\(\?(\d+)\)")
_UNNEST = re.compile(r"unnest\(\?(\d+)\)")
_PARAM = re.compile(r"\?(\d+)")


class PostgresDialect:
    """Shared templates as PostgreSQL runs them (through asyncpg)."""

    #: Run first in the transaction that sums days of the dashboard's summary: its GROUP BY of a week
    #: of a big ledger spills a sort to disk under the default 4 MB and aggregates in memory with this.
    summing_settings = "SET LOCAL work_mem = '64MB'"

    def render(self, template: str) -> str:
        """``$N`` parameters; list parameters typed ``text[]``."""
        sql = _ANY.sub(r"= ANY(?\1::text[])", template)
        sql = _UNNEST.sub(r"unnest(?\1::text[])", sql)
        return _PARAM.sub(r"$\1", sql)

    def bind_ids(self, values: Sequence[str]) -> list[str]:
        """A list of ids as asyncpg binds a ``text[]``."""
        return list(values)


POSTGRES = PostgresDialect()
STATEMENTS = Statements().rendered(POSTGRES)

# --- appends ------------------------------------------------------------------------------------------

# One statement per record: the chain head of a consent id lives in ``heads``; the append upserts that
# row (INSERT ... ON CONFLICT DO UPDATE locks it, and sees its latest committed version even under READ
# COMMITTED) and inserts the record with the link hash PostgreSQL computed from the old head. Two app
# servers appending to the same consent id queue on that row lock, so the chain never forks.
# The link hash is sha256 over prev_hash + "\n" + content_hash, exactly as records.link_hash does.
# txid places the record in the changes feed (CHANGES_SQL): this transaction's id, or the chain's
# latest record's if larger. A transaction can have its id before another that appends to the same
# consent id first (a batch that wrote another consent id first); the feed would then list this record
# before the one it follows in the chain. The larger id keeps the chain order, and the feed's horizon
# still holds: the txid is never below the writing transaction's own.
APPEND_SQL = f"""
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
                     prev_record_id, data, txid, {FACT_COLUMNS})
SELECT $3::text, $1::text, $5::float8, $4::float8, $2::text, head.prev_hash, head.hash,
       head.prev_record_id, $6::text, head.txid, $7::text, $8::text, $9::int, $10::text, $11::int,
       $12::text, $13::text, $14::text
FROM head
RETURNING prev_hash, hash
"""

#: The chain columns of the records of a batch, read back in its transaction.
CHAINED_ROWS = "SELECT record_id, prev_hash, hash FROM records WHERE record_id = ANY($1::text[])"

# --- the changes feed ---------------------------------------------------------------------------------

# seq is handed out at insert, but transactions commit in any order: paging by seq alone, a reader that
# sees seq 11 while seq 10 is still in flight moves past 10 for good. So the feed pages by (txid, seq),
# txid being the id of the transaction that wrote the record (or a larger one, to keep a consent id's
# chain order: APPEND_SQL), and stops below the oldest transaction still in flight anywhere in the
# cluster (the snapshot's xmin). Every record whose txid is below that horizon was written by a
# transaction that has ended, so it is committed and visible to this statement (or rolled back and
# gone); a transaction that commits later has an id at or above the horizon, and so have its records,
# so they sort after any position answered now. The price: one long write transaction (here or in any
# database of the server, e.g. an idle-in-transaction session or a bulk job) holds the feed back until
# it ends. It delays changes, it never loses one.
CHANGES_SQL = """
SELECT txid, seq, data, prev_hash, hash FROM records
WHERE (txid, seq) > ($1::xid8, $2::bigint)
  AND txid < pg_snapshot_xmin(pg_current_snapshot())
  AND data IS NOT NULL
ORDER BY txid, seq
LIMIT $3
"""

# A position (0, seq) names a place in seq order only: a "c1" cursor, written before migration 4.
# Any real txid is above 0, so read as such it would replay the whole feed. Instead the feed resumes
# at (the smallest txid of the records after seq, seq): every record after seq sorts after that, and
# a record at or below seq only if its txid is larger. Records from before the migration all share
# its txid, so for a cursor written before the upgrade this is exactly the place it named. (A c1
# cursor from an older server still running during the upgrade may see a record again: a repeat,
# never a gap.) One statement, so the subquery and the horizon see one snapshot; nothing after seq
# yet: no rows, and the route answers the same position, so the next call maps it again.
# ORDER BY ... LIMIT 1 rather than min(): PostgreSQL 13 has no min(xid8).
CHANGES_AFTER_SEQ_SQL = """
SELECT txid, seq, data, prev_hash, hash FROM records
WHERE (txid, seq) > (
        (SELECT txid FROM records WHERE seq > $1 AND data IS NOT NULL ORDER BY txid LIMIT 1),
        $1::bigint
      )
  AND txid < pg_snapshot_xmin(pg_current_snapshot())
  AND data IS NOT NULL
ORDER BY txid, seq
LIMIT $2
"""

# --- retention ----------------------------------------------------------------------------------------

# Deleting the heads first locks them: an append to one of those consent ids waits, then starts a
# fresh chain after the commit. SKIP LOCKED leaves a head an append holds to the next batch.
DELETE_EXPIRED_HEADS = (
    "DELETE FROM heads WHERE consent_id IN (SELECT consent_id FROM heads"
    " WHERE keep_until < $1 LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING consent_id"
)

# --- the schema ---------------------------------------------------------------------------------------

SCHEMA_VERSION_EXISTS = "SELECT to_regclass('schema_version') IS NOT NULL"
CREATE_SCHEMA_VERSION = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
    " description TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
)
#: One migrator at a time across every app server starting at once: $1 is :data:`MIGRATION_LOCK`.
LOCK_MIGRATIONS = "SELECT pg_advisory_xact_lock($1)"
#: Any fixed number: the advisory lock that serialises migrations across processes.
MIGRATION_LOCK = 0x636F6E73656E74  # "consent"
