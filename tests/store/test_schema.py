"""The schema's migrations and ``open_store``: ordered, additive, and clear errors."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest

from consentgate.config import load_config
from consentgate.errors import ConfigError, StoreError
from consentgate.store import SQLiteStore, open_store
from consentgate.store.schema import LATEST, MIGRATIONS

_DESTRUCTIVE = re.compile(r"\b(DROP|DELETE|TRUNCATE|RENAME)\b|\bALTER\s+COLUMN\b", re.IGNORECASE)


def test_migrations_are_numbered_in_order_from_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[-1].version == LATEST


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda m: f"v{m.version}")
def test_migrations_never_destroy(migration: object) -> None:
    for dialect in ("sqlite", "postgres"):
        for statement in getattr(migration, dialect):
            assert not _DESTRUCTIVE.search(statement), statement


async def test_upgrade_from_an_older_version_applies_only_the_rest(tmp_path: Path) -> None:
    """A database at version 1 (as the first release left it) is upgraded, its records kept."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
        " applied_at REAL NOT NULL)"
    )
    for statement in MIGRATIONS[0].sqlite:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, 'v1', 0)")
    conn.execute(
        "INSERT INTO records (record_id, consent_id, time, keep_until, content_hash, prev_hash, hash, data)"
        " VALUES ('r1', 'c1', 1, 1, 'x', '', 'y', NULL)"
    )
    conn.close()
    store = SQLiteStore(path, migrate=False)
    if LATEST > 1:
        with pytest.raises(StoreError, match="version 1 and this consentgate needs"):
            await store.open()
    applied = await store.migrate()
    assert applied == list(range(2, LATEST + 1))
    assert await store.schema_version() == LATEST
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT record_id FROM records").fetchall() == [("r1",)]
    conn.close()


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    store = SQLiteStore(path)
    await store.open()
    await store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', 0)", (LATEST + 1,))
    conn.close()
    with pytest.raises(StoreError, match="upgrade consentgate"):
        await SQLiteStore(path).open()


def test_open_store_picks_the_backend_by_url(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(store, SQLiteStore)
    assert store.path == str(tmp_path / "x.db")
    assert open_store("sqlite:///relative/x.db").path == "relative/x.db"  # type: ignore[attr-defined]
    from consentgate.store.postgres import PostgresStore

    assert isinstance(open_store("postgresql://postgres@127.0.0.1:5432/test"), PostgresStore)


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:///", "sqlite://relative.db", ""])
def test_open_store_refuses_other_urls(url: str) -> None:
    with pytest.raises(ConfigError, match="'database'"):
        open_store(url)


def test_missing_postgres_driver_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # A real failed import: None in sys.modules makes `import asyncpg` raise ImportError.
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    for name in [m for m in sys.modules if m.startswith("consentgate.store.postgres")]:
        monkeypatch.delitem(sys.modules, name)  # the package and its modules, all imported again
    with pytest.raises(ConfigError, match=r"pip install 'consentgate\[postgres\]'"):
        open_store("postgresql://postgres@127.0.0.1:5432/test")


def test_ledger_config_defaults_and_checks() -> None:
    ledger = load_config().ledger
    assert (ledger.migrate_on_start, ledger.retention_days, ledger.prune_interval_hours) == (True, 1826, 24.0)
    with pytest.raises(ConfigError, match=r"ledger\.retention_days"):
        load_config(ledger={"retention_days": 0})
    with pytest.raises(ConfigError, match=r"ledger\.prune_interval_hours"):
        load_config(ledger={"prune_interval_hours": -1})
    with pytest.raises(ConfigError, match="migrate_on_start"):
        load_config(ledger={"migrate_on_start": "yes"})


async def test_sqlite_writes_in_wal_mode_with_full_fsync(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "w.db")
    await store.open()
    try:
        conn = store._write_conn  # the writer's own connection (idle between appends)
        assert conn is not None
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsync at every commit
    finally:
        await store.close()
