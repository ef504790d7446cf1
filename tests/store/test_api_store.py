"""The API store methods, one contract on both backends: keys, links, changes and the webhook outbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consentgate.api.keys import ApiKey, hash_key, new_key
from consentgate.errors import StoreError
from consentgate.ledger.records import ConsentRecord
from consentgate.store import Store
from consentgate.store.api_base import Position
from consentgate.store.codec import encode_content
from consentgate.store.schema import LATEST, MIGRATIONS
from consentgate.webhooks.outbox import OutboxEvent, Outcome
from tests.support.stores import (
    BACKENDS,
    backend_store,
    make_record,
    postgres_schema,
    postgres_url,
    raw_execute,
    settle,
)

#: Later than any outbox row the tests write (rows are due from the wall-clock time they are written).
T = time.time() + 3600.0
CRM = OutboxEvent("consent.updated", ("crm",))
BOTH = OutboxEvent("consent.updated", ("crm", "ads"))


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with backend_store(request.param, tmp_path) as opened:
        yield opened


async def test_api_keys_are_stored_hashed_listed_and_revoked(store: Store) -> None:
    key_id, key = new_key()
    await store.add_api_key(ApiKey(key_id, "crm", "read", 1000.0), hash_key(key))
    found = await store.api_key(key_id)
    assert found == (ApiKey(key_id, "crm", "read", 1000.0), hash_key(key))
    assert key not in repr(found)
    assert await store.api_key("000000000000") is None
    assert [k.key_id for k in await store.api_keys()] == [key_id]
    assert await store.revoke_api_key(key_id, now=2000.0)
    assert not await store.revoke_api_key(key_id, now=3000.0)  # already revoked
    assert (await store.api_keys())[0].revoked_at == 2000.0
    with pytest.raises(StoreError):
        await store.add_api_key(ApiKey(key_id, "again", "read", 1.0), "x")


async def test_links_are_idempotent_and_found_both_ways(store: Store) -> None:
    assert await store.add_links("cid-1", ["email:a", "user:1", "email:a"], now=1.0, source="site") == 2
    assert await store.add_links("cid-1", ["email:a"], now=2.0, source="api") == 0
    assert await store.add_links("cid-2", ["email:a"], now=3.0, source="api") == 1
    assert sorted(await store.links_of(["email:a"])) == [("email:a", "cid-1"), ("email:a", "cid-2")]
    assert sorted(await store.links_of(["cid-1"])) == [("email:a", "cid-1"), ("user:1", "cid-1")]
    assert await store.links_of(["nothing"]) == []
    assert sorted(await store.linked_consent_ids("email:a")) == ["cid-1", "cid-2"]


async def drain(store: Store, after: Position) -> tuple[list[ConsentRecord], Position]:
    """Page through the feed from ``after``, two at a time, as a client does: records and last position."""
    seen: list[ConsentRecord] = []
    while page := await store.changes(after, 2):
        seen += [record for _, record in page]
        after = page[-1][0]
    return seen, after


def ids(records: list[ConsentRecord]) -> list[str]:
    return [r.record_id for r in records]


async def test_changes_page_in_append_order(store: Store) -> None:
    stored = [await store.append(make_record(f"c{i % 2}", when=float(100 - i))) for i in range(5)]
    await settle(store)
    page = await store.changes((0, 0), 3)
    assert [r.record_id for _, r in page] == [r.record_id for r in stored[:3]]
    rest = await store.changes(page[-1][0], 10)
    assert [r.record_id for _, r in rest] == [r.record_id for r in stored[3:]]
    assert await store.changes(rest[-1][0], 10) == []
    await store.tombstone(["c0"], now=1.0)
    assert {r.consent_id for _, r in await store.changes((0, 0), 10)} == {"c1"}


async def test_a_position_in_seq_order_resumes_after_that_record(store: Store) -> None:
    """``(0, seq)``, what a "c1" cursor of the first feed held, resumes right after record ``seq``."""
    stored = [await store.append(make_record(f"s{i}")) for i in range(4)]
    await settle(store)
    everything = await store.changes((0, 0), 10)
    assert [r for _, r in everything] == stored
    seq = everything[1][0][1]
    assert [r for _, r in await store.changes((0, seq), 10)] == stored[2:]
    # The positions answered from there page on as usual.
    [(position, third)] = await store.changes((0, seq), 1)
    assert [third, *(r for _, r in await store.changes(position, 10))] == stored[2:]
    assert await store.changes((0, everything[-1][0][1]), 10) == []


@pytest.mark.postgres
async def test_postgres_feed_never_passes_a_record_still_being_written(tmp_path: Path) -> None:
    """seq is handed out at insert, but transactions commit in any order.

    Transaction A inserts a record and stays open; B inserts a later one (a higher seq) and commits.
    Paged by seq alone, a reader saw B, moved its cursor past A's seq and never saw A.
    """
    import asyncpg

    from consentgate.store.postgres import APPEND_SQL, append_args

    async with backend_store("postgres", tmp_path) as store:
        before = await store.append(make_record("before"))
        await settle(store)
        seen, cursor = await drain(store, (0, 0))
        assert ids(seen) == [before.record_id]
        a, b = make_record("a"), make_record("b")
        conn = await asyncpg.connect(store.url)  # type: ignore[attr-defined]
        try:
            transaction = conn.transaction()
            await transaction.start()
            await conn.fetchrow(APPEND_SQL, *append_args(a, None))  # the store's own insert, left open
            await store.append(b)
            # The race is real: A holds the lower seq, and outside A only B is there.
            a_seq = await conn.fetchval("SELECT seq FROM records WHERE record_id = $1", a.record_id)
            outside = "SELECT record_id, seq FROM records WHERE record_id <> ? ORDER BY seq"
            [(b_id, b_seq)] = raw_execute(store, outside, [before.record_id])
            assert b_id == b.record_id and a_seq < b_seq
            while_open, cursor = await drain(store, cursor)
            # B began after A, so it waits behind A's open transaction (it is not lost either way).
            assert while_open == []
            await transaction.commit()
        finally:
            await conn.close()
        await settle(store)
        after_commit, cursor = await drain(store, cursor)
        # Every record exactly once, paging only with the positions the feed answered.
        assert sorted(ids(while_open + after_commit)) == sorted([a.record_id, b.record_id])
        assert await store.changes(cursor, 10) == []


@pytest.mark.postgres
async def test_postgres_upgrade_keeps_the_feed_and_its_old_cursors() -> None:
    """Records written before migration 4 stay in the feed, and a "c1" cursor of then resumes in place."""
    import asyncpg

    from consentgate.store.postgres import PostgresStore

    old = [make_record(f"old{i}") for i in range(3)]
    with postgres_schema() as schema:
        url = postgres_url(schema)
        conn = await asyncpg.connect(url)
        try:  # a database as the release before migration 4 left it
            await conn.execute(
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                " applied_at DOUBLE PRECISION NOT NULL)"
            )
            for migration in MIGRATIONS[:3]:
                for statement in migration.postgres:
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_version VALUES ($1, 'old', 0)", migration.version)
            seqs = [
                await conn.fetchval(
                    "INSERT INTO records (record_id, consent_id, time, keep_until, content_hash, prev_hash,"
                    " hash, data) VALUES ($1, $2, $3, $3, 'x', '', 'y', $4) RETURNING seq",
                    r.record_id,
                    r.consent_id,
                    r.time,
                    encode_content(r),
                )
                for r in old
            ]
            await conn.execute(  # the chain head of the last one, as the old append left it
                "INSERT INTO heads (consent_id, hash, record_id, count, keep_until)"
                " VALUES ($1, 'y', $2, 1, $3)",
                old[2].consent_id,
                old[2].record_id,
                old[2].time,
            )
        finally:
            await conn.close()
        store = PostgresStore(url)
        await store.open()  # migrates
        try:
            assert await store.schema_version() == LATEST
            new = await store.append(make_record(old[2].consent_id))
            assert new.prev_hash == "y"  # the upgraded head chains it
            await settle(store)
            seen, _ = await drain(store, (0, 0))
            assert ids(seen) == [*ids(old), new.record_id]
            # A client that had paged up to the second old record before the upgrade goes on from there.
            assert ids((await drain(store, (0, seqs[1])))[0]) == [old[2].record_id, new.record_id]
        finally:
            await store.close()


@pytest.mark.postgres
async def test_postgres_feed_keeps_each_consent_id_in_chain_order(tmp_path: Path) -> None:
    """Two records of one consent id come in the feed in their chain's order.

    Transaction Y writes first (so it has the lower transaction id) and appends to the consent id only
    after X, which began writing later, appended to it and committed: the feed must not put Y's
    withdrawal before X's acceptance, or a marketing system would keep the acceptance.
    """
    import asyncpg

    from consentgate.store.postgres import APPEND_SQL, append_args

    async with backend_store("postgres", tmp_path) as store:
        accept = make_record("visitor", action="accept_all")
        withdraw = make_record("visitor", action="withdraw", when=accept.time + 1.0)
        x = await asyncpg.connect(store.url)  # type: ignore[attr-defined]
        y = await asyncpg.connect(store.url)  # type: ignore[attr-defined]
        try:
            async with y.transaction():
                await y.fetchrow(APPEND_SQL, *append_args(make_record("someone else"), None))
                async with x.transaction():
                    await x.fetchrow(APPEND_SQL, *append_args(accept, None))
                    x_txid = await x.fetchval("SELECT pg_current_xact_id()")
                y_txid = await y.fetchval("SELECT pg_current_xact_id()")
                assert y_txid < x_txid
                await y.fetchrow(APPEND_SQL, *append_args(withdraw, None))
        finally:
            await x.close()
            await y.close()
        assert [r.action for r in await store.records("visitor")] == ["accept_all", "withdraw"]
        await settle(store)
        seen, _ = await drain(store, (0, 0))
        assert [r.action for r in seen if r.consent_id == "visitor"] == ["accept_all", "withdraw"]


async def test_events_are_written_with_their_record(store: Store) -> None:
    await store.add_links("cid", ["email:x"], now=1.0, source="site")
    record = await store.append(make_record("cid"), events=[BOTH])
    rows = await store.deliveries()
    assert sorted(d.endpoint for d in rows) == ["ads", "crm"]
    assert {d.msg_id for d in rows} == {f"msg_{record.record_id}_consent_updated"}
    assert all(
        d.state == "pending" and d.subject == "cid" and '"linked":["email:x"]' in d.payload for d in rows
    )
    await store.append(make_record("cid"))  # no events: no rows
    assert len(await store.deliveries()) == 2


async def test_an_event_that_cannot_be_written_takes_its_record_with_it(store: Store, tmp_path: Path) -> None:
    bad = OutboxEvent("consent.updated", ("crm",), {"not json": object()})
    record = make_record("atomic")
    with pytest.raises((StoreError, TypeError)):
        await store.append(record, events=[bad])
    assert await store.records("atomic") == []
    assert await store.deliveries() == []
    assert (await store.append(make_record("atomic"))).prev_hash == ""  # the chain has no gap


async def test_claim_leases_each_delivery_once_and_keeps_subject_order(store: Store) -> None:
    for subject in ("a", "a", "b"):
        await store.append(make_record(subject), events=[CRM])
    first = await store.claim_deliveries("w1", now=T + 10.0, lease=30.0, limit=10)
    # Only the first event of subject a is due: the second waits for it.
    assert [d.subject for d in first] == ["a", "b"]
    assert all(d.attempts == 1 for d in first)
    assert await store.claim_deliveries("w2", now=T + 11.0, lease=30.0, limit=10) == []
    assert not await store.has_due_deliveries(now=T - 7200.0)  # nothing was due before it was written
    await store.finish_deliveries("w1", [Outcome(d.id, "delivered", status=204) for d in first], now=T + 12.0)
    second = await store.claim_deliveries("w2", now=T + 12.0, lease=30.0, limit=10)
    assert [d.subject for d in second] == ["a"]
    assert second[0].id > first[0].id


async def test_an_expired_lease_is_claimed_again_and_a_stale_retry_is_ignored(store: Store) -> None:
    await store.append(make_record("s"), events=[CRM])
    [d] = await store.claim_deliveries("dead-worker", now=T + 0.0, lease=5.0, limit=10)
    assert await store.claim_deliveries("w2", now=T + 4.0, lease=5.0, limit=10) == []
    [again] = await store.claim_deliveries("w2", now=T + 6.0, lease=5.0, limit=10)
    assert again.id == d.id and again.attempts == 2
    # The first worker comes back late with a failure: it no longer holds the lease, nothing changes.
    await store.finish_deliveries(
        "dead-worker", [Outcome(d.id, "pending", next_at=T + 999.0, error="late")], now=T + 7.0
    )
    assert (await store.deliveries())[0].next_at < T
    await store.finish_deliveries(
        "w2", [Outcome(d.id, "pending", next_at=T + 50.0, status=500, error="HTTP 500")], now=T + 7.0
    )
    [row] = await store.deliveries()
    assert (row.state, row.next_at, row.last_status) == ("pending", T + 50.0, 500)
    assert await store.claim_deliveries("w2", now=T + 49.0, lease=5.0, limit=10) == []
    assert len(await store.claim_deliveries("w2", now=T + 50.0, lease=5.0, limit=10)) == 1


async def test_events_waiting_behind_a_retry_are_not_due(store: Store) -> None:
    # Without this, a worker would open a write transaction at every poll to claim nothing, for as
    # long as the first event of a subject backs off (up to 3 days).
    for _ in range(3):
        await store.append(make_record("s"), events=[CRM])
    [first] = await store.claim_deliveries("w", now=T + 1.0, lease=5.0, limit=10)
    await store.finish_deliveries(
        "w", [Outcome(first.id, "pending", next_at=T + 60.0, error="x")], now=T + 2.0
    )
    assert not await store.has_due_deliveries(now=T + 30.0)
    assert await store.claim_deliveries("w", now=T + 30.0, lease=5.0, limit=10) == []
    assert await store.has_due_deliveries(now=T + 60.0)


async def test_concurrent_claims_never_share_a_delivery(store: Store) -> None:
    for i in range(60):
        await store.append(make_record(f"s{i}"), events=[CRM])
    now = time.time()
    batches = await asyncio.gather(
        *(store.claim_deliveries(f"w{i}", now=now, lease=60.0, limit=7) for i in range(12))
    )
    ids = [d.id for batch in batches for d in batch]
    assert len(ids) == len(set(ids)) == 60


async def test_dead_letters_are_listed_and_replayed(store: Store) -> None:
    record = await store.append(make_record("s"), events=[BOTH])
    claimed = await store.claim_deliveries("w", now=T + 1.0, lease=5.0, limit=10)
    await store.finish_deliveries(
        "w", [Outcome(d.id, "dead", status=500, error="HTTP 500") for d in claimed], now=T + 2.0
    )
    dead = await store.deliveries(state="dead")
    assert len(dead) == 2 and all(d.done_at == T + 2.0 for d in dead)
    assert await store.replay_deliveries(now=T + 100.0, msg_id="nothing") == 0
    msg_id = f"msg_{record.record_id}_consent_updated"
    assert len(await store.deliveries(msg_id=msg_id)) == 2
    assert await store.replay_deliveries(now=T + 100.0, state="dead") == 2
    again = await store.claim_deliveries("w", now=T + 100.0, lease=5.0, limit=10)
    assert len(again) == 2
    assert all(d.attempts == 1 and d.retry_from == T + 100.0 for d in again)
    await store.finish_deliveries("w", [Outcome(d.id, "delivered", status=200) for d in again], now=T + 101.0)
    assert (
        await store.replay_deliveries(now=T + 200.0, msg_id=msg_id) == 2
    )  # a delivered one can be sent again
    assert len(await store.deliveries(state="pending")) == 2
