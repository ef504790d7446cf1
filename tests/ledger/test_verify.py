"""Tamper evidence: edit, delete or reorder records in the database itself; verify names each one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consentgate.ledger.records import ConsentRecord
from consentgate.ledger.verify import Problem, verify
from consentgate.store import Store
from tests.support.stores import BACKENDS, backend_store, make_record, raw_execute

_COLUMNS = (
    "record_id, consent_id, time, keep_until, content_hash, prev_hash, hash, prev_record_id, data,"
    " tombstoned_at"
)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with backend_store(request.param, tmp_path) as opened:
        yield opened


async def _ledger(store: Store) -> list[ConsentRecord]:
    """Three chains: a (4 records), b (3), c (1)."""
    out = []
    for i, cid in enumerate(["a", "b", "a", "c", "a", "b", "a", "b"]):
        out.append(await store.append(make_record(cid, when=1000.0 + i, action="save_choices")))
    return out


def _chain(records: list[ConsentRecord], cid: str) -> list[ConsentRecord]:
    return [r for r in records if r.consent_id == cid]


def _found(problems: list[Problem]) -> set[tuple[str, str]]:
    return {(p.record_id, p.kind) for p in problems}


async def test_untouched_ledger_verifies(store: Store) -> None:
    await _ledger(store)
    report = await verify(store)
    assert report.ok, report.problems
    assert (report.records, report.chains, report.tombstones) == (8, 3, 0)


async def test_empty_ledger_verifies(store: Store) -> None:
    report = await verify(store)
    assert report.ok
    assert report.records == 0


async def test_edited_content_is_reported(store: Store) -> None:
    records = await _ledger(store)
    target = _chain(records, "a")[1]
    [(data,)] = raw_execute(store, "SELECT data FROM records WHERE record_id = ?", [target.record_id])
    fields = json.loads(data)
    fields["categories"]["advertising"] = False  # the visitor "refused" advertising after all
    raw_execute(
        store, "UPDATE records SET data = ? WHERE record_id = ?", [json.dumps(fields), target.record_id]
    )
    report = await verify(store)
    assert _found(report.problems) == {(target.record_id, "edited")}


async def test_edit_with_recomputed_hashes_is_reported(store: Store) -> None:
    """A forger who recomputes the record's own hashes still breaks the link of the next record."""
    records = await _ledger(store)
    chain = _chain(records, "b")
    target = chain[0]
    forged = ConsentRecord.from_json({**target.to_json(), "action": "accept_all", "region": "US"})
    forged = forged.chained(target.prev_hash)
    data = {k: v for k, v in forged.to_json().items() if k not in ("prev_hash", "hash")}
    raw_execute(
        store,
        "UPDATE records SET data = ?, content_hash = ?, hash = ? WHERE record_id = ?",
        [json.dumps(data), forged.content_hash(), forged.hash, target.record_id],
    )
    report = await verify(store)
    assert (target.record_id, "edited") in _found(report.problems)
    assert {p.record_id for p in report.problems} == {target.record_id}


async def test_deleted_record_in_the_middle_is_reported_by_id(store: Store) -> None:
    records = await _ledger(store)
    gone = _chain(records, "a")[2]
    raw_execute(store, "DELETE FROM records WHERE record_id = ?", [gone.record_id])
    report = await verify(store)
    assert _found(report.problems) == {(gone.record_id, "deleted")}


async def test_deleted_latest_record_is_reported_by_id(store: Store) -> None:
    records = await _ledger(store)
    gone = _chain(records, "b")[-1]
    raw_execute(store, "DELETE FROM records WHERE record_id = ?", [gone.record_id])
    report = await verify(store)
    assert _found(report.problems) == {(gone.record_id, "deleted")}


async def test_deleted_whole_chain_is_reported(store: Store) -> None:
    records = await _ledger(store)
    raw_execute(store, "DELETE FROM records WHERE consent_id = ?", ["c"])
    report = await verify(store)
    assert _found(report.problems) == {(_chain(records, "c")[0].record_id, "deleted")}


async def test_reordered_records_are_reported(store: Store) -> None:
    records = await _ledger(store)
    first, second = _chain(records, "a")[1:3]
    _swap_rows(store, first.record_id, second.record_id)
    report = await verify(store)
    assert _found(report.problems) == {(first.record_id, "reordered"), (second.record_id, "reordered")}


async def test_reordered_latest_records_are_reported(store: Store) -> None:
    records = await _ledger(store)
    first, second = _chain(records, "b")[1:3]
    _swap_rows(store, first.record_id, second.record_id)
    report = await verify(store)
    assert _found(report.problems) == {(first.record_id, "reordered"), (second.record_id, "reordered")}


async def test_tombstones_keep_the_ledger_verifiable(store: Store) -> None:
    await _ledger(store)
    assert await store.tombstone(["a"], now=5000.0) == 4
    report = await verify(store)
    assert report.ok, report.problems
    assert (report.records, report.chains, report.tombstones) == (8, 3, 4)


async def test_tampering_next_to_tombstones_is_still_found(store: Store) -> None:
    records = await _ledger(store)
    await store.tombstone(["a"], now=5000.0)
    gone = _chain(records, "a")[1]
    raw_execute(store, "DELETE FROM records WHERE record_id = ?", [gone.record_id])
    report = await verify(store)
    assert _found(report.problems) == {(gone.record_id, "deleted")}


def _swap_rows(store: Store, one: str, two: str) -> None:
    """Swap the stored positions of two records (everything but the append-order key)."""
    [row_one] = raw_execute(store, f"SELECT {_COLUMNS} FROM records WHERE record_id = ?", [one])
    [row_two] = raw_execute(store, f"SELECT {_COLUMNS} FROM records WHERE record_id = ?", [two])
    assignments = ", ".join(f"{c.strip()} = ?" for c in _COLUMNS.split(","))
    raw_execute(store, "UPDATE records SET record_id = ? WHERE record_id = ?", ["swap-tmp", one])
    raw_execute(store, f"UPDATE records SET {assignments} WHERE record_id = ?", [*row_one, two])
    raw_execute(store, f"UPDATE records SET {assignments} WHERE record_id = ?", [*row_two, "swap-tmp"])
