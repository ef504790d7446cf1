"""The API store methods, one contract on both backends: keys, links, changes and the webhook outbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consentgate.api_keys import ApiKey, hash_key, new_key
from consentgate.errors import StoreError
from consentgate.outbox import OutboxEvent, Outcome
from consentgate.store import Store
from tests.store_support import BACKENDS, backend_store, make_record

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


async def test_changes_page_in_append_order(store: Store) -> None:
    stored = [await store.append(make_record(f"c{i % 2}", when=float(100 - i))) for i in range(5)]
    page = await store.changes(0, 3)
    assert [r.record_id for _, r in page] == [r.record_id for r in stored[:3]]
    rest = await store.changes(page[-1][0], 10)
    assert [r.record_id for _, r in rest] == [r.record_id for r in stored[3:]]
    assert await store.changes(rest[-1][0], 10) == []
    await store.tombstone(["c0"], now=1.0)
    assert {r.consent_id for _, r in await store.changes(0, 10)} == {"c1"}


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
