"""One contract suite, run against every backend: SQLite (a file in tmp_path) and the real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consentgate.errors import StoreError
from consentgate.ledger.records import ConsentRecord, link_hash
from consentgate.store import Store
from consentgate.store.schema import LATEST
from tests.support.stores import BACKENDS, backend_store, make_record


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An opened, empty store of each backend."""
    async with backend_store(request.param, tmp_path) as opened:
        yield opened


async def _collect(it: AsyncIterator[ConsentRecord]) -> list[ConsentRecord]:
    return [record async for record in it]


async def test_append_chains_records_of_one_consent_id(store: Store) -> None:
    cid = uuid.uuid4().hex
    first = await store.append(make_record(cid, when=1000.0))
    second = await store.append(make_record(cid, when=1001.0, action="withdraw"))
    assert first.prev_hash == ""
    assert first.hash == link_hash("", first.content_hash())
    assert second.prev_hash == first.hash
    assert second.hash == link_hash(first.hash, second.content_hash())
    assert await store.records(cid) == [first, second]


async def test_records_roundtrip_every_field(store: Store) -> None:
    record = make_record(
        categories={"necessary": True, "analytics": False},
        gpc=True,
        dnt=True,
        region=None,
        source="api",
        extra={"channel": "phone", "n": 3},
        time=1_700_000_000.123456,
    )
    stored = await store.append(record)
    [back] = await store.records(record.consent_id)
    assert back == stored
    assert back.extra == {"channel": "phone", "n": 3}
    assert back.region is None


async def test_records_of_unknown_consent_id_is_empty(store: Store) -> None:
    assert await store.records("nobody") == []


async def test_chains_are_per_consent_id(store: Store) -> None:
    a1 = await store.append(make_record("a"))
    b1 = await store.append(make_record("b"))
    a2 = await store.append(make_record("a"))
    assert b1.prev_hash == ""
    assert a2.prev_hash == a1.hash


async def test_concurrent_appends_keep_every_chain_linked(store: Store) -> None:
    ids = [f"c{i}" for i in range(10)]
    await asyncio.gather(*(store.append(make_record(ids[i % 10], when=float(i))) for i in range(200)))
    for cid in ids:
        chain = await store.records(cid)
        assert len(chain) == 20
        prev = ""
        for record in chain:
            assert record.prev_hash == prev
            assert record.hash == link_hash(prev, record.content_hash())
            prev = record.hash


async def test_duplicate_record_id_fails_alone(store: Store) -> None:
    record = make_record("dup")
    await store.append(record)
    other = make_record("other")
    results = await asyncio.gather(store.append(record), store.append(other), return_exceptions=True)
    assert isinstance(results[0], StoreError)
    assert isinstance(results[1], ConsentRecord)
    assert len(await store.records("dup")) == 1
    assert len(await store.records("other")) == 1


async def test_shown_text_is_stored_once_per_hash(store: Store) -> None:
    await store.append(make_record(shown_hash="s1"), shown=b"banner v1")
    await store.append(make_record(shown_hash="s1"), shown=b"banner v1")
    await store.append(make_record(shown_hash="s2"), shown=b"banner v2 \x00\xff")
    assert await store.shown_text("s1") == b"banner v1"
    assert await store.shown_text("s2") == b"banner v2 \x00\xff"
    assert await store.shown_text("s3") is None


async def test_iter_records_in_append_order_with_filters(store: Store) -> None:
    appended = [await store.append(make_record(f"c{i % 3}", when=100.0 + i)) for i in range(25)]
    assert await _collect(store.iter_records(batch_size=4)) == appended
    window = await _collect(store.iter_records(since=105.0, until=110.0, batch_size=2))
    assert [r.time for r in window] == [105.0, 106.0, 107.0, 108.0, 109.0]
    only = await _collect(store.iter_records(consent_ids=["c1", "nobody"], batch_size=3))
    assert only == [r for r in appended if r.consent_id == "c1"]
    assert await _collect(store.iter_records(consent_ids=[])) == []


async def test_schema_is_at_latest_and_migrate_is_idempotent(store: Store) -> None:
    assert await store.schema_version() == LATEST
    assert await store.migrate() == []


async def test_open_without_migrate_refuses_an_empty_database(tmp_path: Path, backend: str) -> None:
    with pytest.raises(StoreError, match="consentgate migrate"):
        async with backend_store(backend, tmp_path, migrate=False):
            pass


async def test_prune_removes_whole_expired_chains(store: Store) -> None:
    old = await store.append(make_record("old", when=100.0, expires_at=200.0))
    await store.append(make_record("old", when=150.0, expires_at=250.0))
    await store.append(make_record("mixed", when=100.0, expires_at=200.0))
    fresh = await store.append(make_record("mixed", when=900.0, expires_at=1000.0))
    assert old.consent_id == "old"
    assert await store.prune(500.0, batch_size=1) == 2
    assert await store.records("old") == []
    # a chain with one recent record stays whole, so it still verifies
    assert len(await store.records("mixed")) == 2
    assert fresh in await store.records("mixed")
    assert await store.prune(500.0) == 0


async def test_tombstone_removes_content_and_keeps_hashes(store: Store) -> None:
    kept = await store.append(make_record("keep"))
    gone = [await store.append(make_record("gone", when=float(i))) for i in range(3)]
    assert await store.tombstone(["gone", "nobody"], now=5000.0) == 3
    assert await store.records("gone") == []
    assert await store.records("keep") == [kept]
    rows = [row async for row in store.iter_chain()]
    tombs = [row for row in rows if row.data is None]
    assert [row.record_id for row in tombs] == [r.record_id for r in gone]
    assert [row.hash for row in tombs] == [r.hash for r in gone]
    assert len({row.consent_id for row in tombs}) == 1
    assert tombs[0].consent_id.startswith("deleted:")
    assert all(row.head_hash == gone[-1].hash for row in tombs)
    assert [r.record_id async for r in store.iter_records()] == [kept.record_id]


async def test_iter_chain_groups_by_consent_id_in_append_order(store: Store) -> None:
    appended = [await store.append(make_record(cid)) for cid in ["b", "a", "b", "c", "a"]]
    rows = [row async for row in store.iter_chain(batch_size=2)]
    assert [(r.consent_id, r.record_id) for r in rows] == [
        (r.consent_id, r.record_id) for r in sorted(appended, key=lambda r: r.consent_id)
    ]
    assert [row async for row in store.iter_orphan_heads()] == []


async def test_append_before_open_is_a_store_error(tmp_path: Path) -> None:
    from consentgate.store import SQLiteStore

    with pytest.raises(StoreError, match="not open"):
        await SQLiteStore(tmp_path / "x.db").append(make_record())


async def test_sqlite_close_writes_every_queued_append(tmp_path: Path) -> None:
    from consentgate.store import SQLiteStore

    store = SQLiteStore(tmp_path / "q.db")
    await store.open()
    tasks = [asyncio.ensure_future(store.append(make_record("q"))) for _ in range(50)]
    await asyncio.sleep(0)  # every append is queued, none written yet
    await store.close()
    assert len(await asyncio.gather(*tasks)) == 50
    again = SQLiteStore(tmp_path / "q.db")
    await again.open()
    try:
        assert len(await again.records("q")) == 50
    finally:
        await again.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of each backend, for tests that open stores themselves."""
    return str(request.param)


async def test_count_records_matches_iter_records(store: Store) -> None:
    for i in range(12):
        await store.append(make_record(f"c{i % 4}", when=float(i)))
    assert await store.count_records() == 12
    assert await store.count_records(since=3.0, until=9.0) == 6
    assert await store.count_records(consent_ids=["c0", "c1"]) == 6
    assert await store.count_records(consent_ids=[]) == 0
    await store.tombstone(["c0"], now=100.0)
    assert await store.count_records() == 9


async def test_a_record_that_cannot_be_stored_fails_alone(store: Store) -> None:
    bad = make_record("bad", extra={"not json": {1, 2}})
    good = make_record("good")
    results = await asyncio.gather(store.append(bad), store.append(good), return_exceptions=True)
    assert isinstance(results[0], StoreError)
    assert isinstance(results[1], ConsentRecord)
    assert await store.records("bad") == []
    assert await store.append(make_record("after")) is not None  # the writer is still alive
