"""The versioned schema: ordered, additive migrations for SQLite and PostgreSQL.

Each migration runs once, in its own transaction, and is recorded in ``schema_version``. Migrations
only add (tables, columns, indexes): a migration that drops or deletes is refused by the test suite,
so upgrading consentgate never loses a record. A later feature appends a :class:`Migration` with the
next version number; it never edits one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import StoreError

__all__ = ["LATEST", "MIGRATIONS", "Migration", "check_version"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step, written once per dialect."""

    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


_LEDGER_SQLITE = (
    """CREATE TABLE IF NOT EXISTS records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL UNIQUE,
        consent_id TEXT NOT NULL,
        time REAL NOT NULL,
        keep_until REAL NOT NULL,
        content_hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        prev_record_id TEXT NOT NULL DEFAULT '',
        data TEXT,
        tombstoned_at REAL
    )""",
    "CREATE INDEX IF NOT EXISTS records_consent ON records (consent_id, seq)",
    "CREATE INDEX IF NOT EXISTS records_time ON records (time)",
    """CREATE TABLE IF NOT EXISTS heads (
        consent_id TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        record_id TEXT NOT NULL,
        prev_hash TEXT NOT NULL DEFAULT '',
        prev_record_id TEXT NOT NULL DEFAULT '',
        count INTEGER NOT NULL,
        keep_until REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS heads_keep_until ON heads (keep_until)",
    """CREATE TABLE IF NOT EXISTS shown (
        hash TEXT PRIMARY KEY,
        body BLOB NOT NULL,
        first_seen REAL NOT NULL
    )""",
)

# consent_id sorts bytewise ("C") so verify walks chains in the same order on both backends and
# keyset pages over (consent_id, seq) use the index.
_LEDGER_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS records (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        record_id TEXT NOT NULL UNIQUE,
        consent_id TEXT COLLATE "C" NOT NULL,
        time DOUBLE PRECISION NOT NULL,
        keep_until DOUBLE PRECISION NOT NULL,
        content_hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        prev_record_id TEXT NOT NULL DEFAULT '',
        data TEXT,
        tombstoned_at DOUBLE PRECISION
    )""",
    "CREATE INDEX IF NOT EXISTS records_consent ON records (consent_id, seq)",
    "CREATE INDEX IF NOT EXISTS records_time ON records (time)",
    """CREATE TABLE IF NOT EXISTS heads (
        consent_id TEXT COLLATE "C" PRIMARY KEY,
        hash TEXT NOT NULL,
        record_id TEXT NOT NULL,
        prev_hash TEXT NOT NULL DEFAULT '',
        prev_record_id TEXT NOT NULL DEFAULT '',
        count BIGINT NOT NULL,
        keep_until DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS heads_keep_until ON heads (keep_until)",
    """CREATE TABLE IF NOT EXISTS shown (
        hash TEXT PRIMARY KEY,
        body BYTEA NOT NULL,
        first_seen DOUBLE PRECISION NOT NULL
    )""",
)

_LOG_ROLLUPS_SQLITE = (
    # Hourly request-log aggregates (consentgate/logs/rollup.py): counts only, never an IP.
    """CREATE TABLE IF NOT EXISTS log_rollups (
        hour INTEGER NOT NULL,
        dimension TEXT NOT NULL,
        key TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (hour, dimension, key)
    )""",
    # One row per rolled-up batch of raw lines, so a roll-up retried after a crash counts nothing twice.
    """CREATE TABLE IF NOT EXISTS log_rollup_batches (
        batch_id TEXT PRIMARY KEY,
        lines INTEGER NOT NULL,
        rolled_at REAL NOT NULL
    )""",
)

_LOG_ROLLUPS_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS log_rollups (
        hour BIGINT NOT NULL,
        dimension TEXT NOT NULL,
        key TEXT NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (hour, dimension, key)
    )""",
    """CREATE TABLE IF NOT EXISTS log_rollup_batches (
        batch_id TEXT PRIMARY KEY,
        lines BIGINT NOT NULL,
        rolled_at DOUBLE PRECISION NOT NULL
    )""",
)

# The marketing API: API keys (hashed), identity links (hashes only), the webhook outbox (one row per
# event and subscription, written in the transaction of the record that causes it; leased by delivery
# workers).
_API_SQLITE = (
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        revoked_at REAL
    )""",
    """CREATE TABLE IF NOT EXISTS identity_links (
        identifier TEXT NOT NULL,
        consent_id TEXT NOT NULL,
        created_at REAL NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (identifier, consent_id)
    )""",
    "CREATE INDEX IF NOT EXISTS identity_links_consent ON identity_links (consent_id, identifier)",
    """CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        msg_id TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        subject TEXT NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        retry_from REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL,
        lease_until REAL NOT NULL DEFAULT 0,
        lease_owner TEXT NOT NULL DEFAULT '',
        last_status INTEGER,
        last_error TEXT NOT NULL DEFAULT '',
        done_at REAL,
        UNIQUE (msg_id, endpoint)
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (id) WHERE state = 'pending'",
    "CREATE INDEX IF NOT EXISTS outbox_order ON outbox (endpoint, subject, id) WHERE state = 'pending'",
    "CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, id)",
)

_API_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        revoked_at DOUBLE PRECISION
    )""",
    """CREATE TABLE IF NOT EXISTS identity_links (
        identifier TEXT COLLATE "C" NOT NULL,
        consent_id TEXT COLLATE "C" NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (identifier, consent_id)
    )""",
    "CREATE INDEX IF NOT EXISTS identity_links_consent ON identity_links (consent_id, identifier)",
    """CREATE TABLE IF NOT EXISTS outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        msg_id TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        subject TEXT COLLATE "C" NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        retry_from DOUBLE PRECISION NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at DOUBLE PRECISION NOT NULL,
        lease_until DOUBLE PRECISION NOT NULL DEFAULT 0,
        lease_owner TEXT NOT NULL DEFAULT '',
        last_status INTEGER,
        last_error TEXT NOT NULL DEFAULT '',
        done_at DOUBLE PRECISION,
        UNIQUE (msg_id, endpoint)
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (id) WHERE state = 'pending'",
    "CREATE INDEX IF NOT EXISTS outbox_order ON outbox (endpoint, subject, id) WHERE state = 'pending'",
    "CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, id)",
)

# The changes feed on PostgreSQL: seq is handed out at insert but transactions commit in any
# order, so paging by seq alone skips a row whose transaction commits after a later seq was read. Each
# record keeps the id of the transaction that wrote it (or a later one, see heads.txid), and the feed
# pages by (txid, seq) up to the oldest transaction still in flight (postgres/dialect.py). heads.txid is
# the records.txid of the chain's latest record: the append takes the larger of it and its own, so a
# consent id's records keep their chain order in the feed (APPEND_SQL). pg_current_xact_id() is
# stable, not volatile, so the columns are added without rewriting the tables: rows already there all
# get the migration's own transaction id, which is committed (and below the feed's horizon) once the
# migration is. The index is built inside the migration's transaction, so appends wait while it is
# built (once, at upgrade). SQLite has one writer connection: seq order is commit order there, so it
# needs no column, only the version number, which keeps both schemas at the same version.
_FEED_SQLITE: tuple[str, ...] = ()

_FEED_POSTGRES = (
    "ALTER TABLE records ADD COLUMN IF NOT EXISTS txid xid8 NOT NULL DEFAULT pg_current_xact_id()",
    "ALTER TABLE heads ADD COLUMN IF NOT EXISTS txid xid8 NOT NULL DEFAULT pg_current_xact_id()",
    "CREATE INDEX IF NOT EXISTS records_feed ON records (txid, seq)",
)

# What a record says, in columns of its own, so analytics group and count in SQL without parsing
# ``data``. ``chosen`` and ``effective`` are the granted categories comma-wrapped
# (``,necessary,analytics,``: ``LIKE '%,analytics,%'`` on both backends); ``effective`` is the state
# after privacy signals. Rows written before this migration keep the defaults ('' and 0): their
# content (``data``) still says everything, and is what the chain hashes (the columns are not hashed,
# so adding them changes no record's hash).
_FACT_COLUMNS = (
    "action TEXT NOT NULL DEFAULT ''",
    "region TEXT NOT NULL DEFAULT ''",
    "gpc INTEGER NOT NULL DEFAULT 0",
    "shown_hash TEXT NOT NULL DEFAULT ''",
    "config_revision INTEGER NOT NULL DEFAULT 0",
    "chosen TEXT NOT NULL DEFAULT ''",
    "effective TEXT NOT NULL DEFAULT ''",
    "variant TEXT NOT NULL DEFAULT ''",
)
_FACTS_SQLITE = tuple(f"ALTER TABLE records ADD COLUMN {column}" for column in _FACT_COLUMNS)
_FACTS_POSTGRES = tuple(f"ALTER TABLE records ADD COLUMN IF NOT EXISTS {column}" for column in _FACT_COLUMNS)

# The dashboard (consentgate/admin/): complete UTC days of the ledger's fact columns summed once, so a
# period of months reads thousands of rows instead of millions. Each day is summed per region and once
# more for every region together (region '*'), so either question reads only its own rows (the key
# leads with the region); the records per region and day are in a table of their own, and a
# consent_daily_days row says a day is summed (an empty day too). Counts only, no consent id: a record
# pruned or erased later stays counted here, as aggregate statistics. And the results of ``verify``
# runs, for the operations page.
_DASHBOARD_COLUMNS = """day {int} NOT NULL,
        region TEXT NOT NULL,
        config_revision INTEGER NOT NULL,
        shown_hash TEXT NOT NULL,
        variant TEXT NOT NULL,
        action TEXT NOT NULL,
        gpc INTEGER NOT NULL,
        chosen TEXT NOT NULL,
        count {int} NOT NULL,
        PRIMARY KEY (region, day, config_revision, shown_hash, variant, action, gpc, chosen)"""


def _dashboard(integer: str, real: str, identity: str) -> tuple[str, ...]:
    return (
        f"CREATE TABLE IF NOT EXISTS consent_daily ({_DASHBOARD_COLUMNS.format(int=integer)})",
        f"CREATE TABLE IF NOT EXISTS consent_daily_days (day {integer} PRIMARY KEY, built_at {real} NOT NULL)",
        f"""CREATE TABLE IF NOT EXISTS consent_daily_regions (
        day {integer} NOT NULL,
        region TEXT NOT NULL,
        count {integer} NOT NULL,
        PRIMARY KEY (day, region)
    )""",
        f"""CREATE TABLE IF NOT EXISTS verify_runs (
        id {identity},
        started_at {real} NOT NULL,
        finished_at {real} NOT NULL,
        records {integer} NOT NULL,
        chains {integer} NOT NULL,
        problems {integer} NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT ''
    )""",
    )


_DASHBOARD_SQLITE = _dashboard("INTEGER", "REAL", "INTEGER PRIMARY KEY AUTOINCREMENT")
_DASHBOARD_POSTGRES = _dashboard(
    "BIGINT", "DOUBLE PRECISION", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
)


# Dashboard sessions ended by signing out, so that every process refuses them (the cookie itself
# stays valid until it expires): the SHA-256 of the session's nonce, and when its cookie would have
# expired anyway (rows past that are deleted as new ones are added).
def _signouts(real: str) -> tuple[str, ...]:
    return (
        f"CREATE TABLE IF NOT EXISTS admin_signouts (nonce_hash TEXT PRIMARY KEY, until {real} NOT NULL)",
        "CREATE INDEX IF NOT EXISTS admin_signouts_until ON admin_signouts (until)",
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "consent ledger: records, chain heads, shown texts", _LEDGER_SQLITE, _LEDGER_POSTGRES),
    Migration(2, "request-log hourly roll-ups", _LOG_ROLLUPS_SQLITE, _LOG_ROLLUPS_POSTGRES),
    Migration(3, "API keys, identity links, webhook outbox", _API_SQLITE, _API_POSTGRES),
    Migration(
        4, "changes feed without gaps: records.txid, heads.txid (PostgreSQL)", _FEED_SQLITE, _FEED_POSTGRES
    ),
    Migration(
        5,
        "records: action, region, gpc, shown hash, revision, chosen and effective state, variant",
        _FACTS_SQLITE,
        _FACTS_POSTGRES,
    ),
    Migration(
        6,
        "dashboard: daily consent summary by region, its days, verify runs",
        _DASHBOARD_SQLITE,
        _DASHBOARD_POSTGRES,
    ),
    Migration(7, "dashboard sessions ended by signing out", _signouts("REAL"), _signouts("DOUBLE PRECISION")),
)

#: The version a fully migrated database is at.
LATEST: int = MIGRATIONS[-1].version


def check_version(version: int) -> None:
    """Refuse a database whose schema is older (not migrated) or newer (a later consentgate) than this."""
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
