"""Helpers shared by the store and ledger tests: a store of each backend, and records to put in it."""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from consentgate.ledger.records import ConsentRecord
from consentgate.store import SQLiteStore, Store

POSTGRES_URL = os.environ.get("CONSENTGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def make_record(
    consent_id: str | None = None, *, when: float = 1_700_000_000.0, **fields: Any
) -> ConsentRecord:
    """A plausible record; any field can be overridden."""
    values: dict[str, Any] = {
        "record_id": uuid.uuid4().hex,
        "consent_id": consent_id or uuid.uuid4().hex,
        "time": when,
        "action": "accept_all",
        "categories": {"necessary": True, "analytics": True, "advertising": True, "social": True},
        "config_revision": 1,
        "shown_hash": "a" * 64,
        "language": "en",
        "host": "example.com",
        "regime": "opt-in",
        "region": "FR",
        "ua_family": "Firefox",
        "expires_at": when + 182 * 86400,
    }
    values.update(fields)
    return ConsentRecord(**values)


def postgres_available() -> bool:
    """Whether the test PostgreSQL answers (psycopg, short timeout)."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def require_postgres() -> None:
    """Skip without PostgreSQL, except under ``CI=true`` where its absence is a failure."""
    if postgres_available():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable and CI=true: the postgres run must happen.")
    pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema for one test, dropped afterwards."""
    import psycopg

    require_postgres()
    name = "cgtest_" + secrets.token_hex(6)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def postgres_url(schema: str) -> str:
    """The test database URL with ``search_path`` set to ``schema`` (works for both drivers)."""
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@asynccontextmanager
async def backend_store(backend: str, tmp_path: Path, **kwargs: Any) -> AsyncIterator[Store]:
    """An opened store of ``backend`` on a fresh database, closed afterwards."""
    if backend == "sqlite":
        store: Store = SQLiteStore(tmp_path / "ledger.db", **kwargs)
        await store.open()
        try:
            yield store
        finally:
            await store.close()
        return
    from consentgate.store.postgres import PostgresStore

    with postgres_schema() as schema:
        store = PostgresStore(postgres_url(schema), **kwargs)
        await store.open()
        try:
            yield store
        finally:
            await store.close()


def raw_execute(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run SQL on the store's database behind its back (``?`` placeholders), as a tamperer would."""
    if isinstance(store, SQLiteStore):
        conn = sqlite3.connect(store.path, isolation_level=None)
        try:
            return conn.execute(sql, tuple(params)).fetchall()
        finally:
            conn.close()
    import psycopg

    url: str = store.url  # type: ignore[attr-defined]
    with psycopg.connect(url, autocommit=True) as pg:
        cursor = pg.execute(sql.replace("?", "%s").encode(), tuple(params))
        return list(cursor.fetchall()) if cursor.description else []


async def settle(store: Store) -> None:
    """Wait until no write transaction open on the server holds the PostgreSQL feed back.

    The feed stops below the oldest write transaction open anywhere on the server, and another test
    run sharing the server may hold one for a moment. SQLite has nothing to wait for.
    """
    if isinstance(store, SQLiteStore):
        return
    deadline = time.monotonic() + 30.0
    sql = (
        "SELECT pg_snapshot_xmin(pg_current_snapshot())"
        " > (SELECT txid FROM records ORDER BY txid DESC LIMIT 1) IS NOT FALSE"
    )
    while not raw_execute(store, sql)[0][0]:
        assert time.monotonic() < deadline, "a transaction on the PostgreSQL server stayed open for 30 s"
        await asyncio.sleep(0.02)
