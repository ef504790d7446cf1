"""Export: JSON lines and CSV, filters, the progress bar, and 100,000 records in bounded memory."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consentgate.ledger.export import CSV_COLUMNS, Progress, export_records
from consentgate.store import SQLiteStore, Store
from tests.support.stores import BACKENDS, backend_store, make_record


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with backend_store(request.param, tmp_path) as opened:
        yield opened


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_jsonl_has_every_field_and_the_utc_time(store: Store) -> None:
    appended = [await store.append(make_record(f"c{i}", when=1_767_225_600.0 + i)) for i in range(3)]
    out = io.StringIO()
    assert await export_records(store, out, fmt="jsonl") == 3
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["record_id"] for line in lines] == [r.record_id for r in appended]
    assert lines[0]["time_utc"] == "2026-01-01T00:00:00.000Z"
    assert {k: v for k, v in lines[1].items() if k != "time_utc"} == appended[1].to_json()


async def test_csv_has_a_header_and_one_row_per_record(store: Store) -> None:
    record = await store.append(make_record("c", host="=HYPERLINK(1)", gpc=True, region=None))
    out = io.StringIO()
    assert await export_records(store, out, fmt="csv") == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["record_id"] == record.record_id
    assert json.loads(rows[0]["categories"]) == dict(record.categories)
    assert rows[0]["gpc"] == "true"
    assert rows[0]["region"] == ""
    assert rows[0]["host"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, does not run it


async def test_csv_carries_the_effective_state_regimes_and_variant(store: Store) -> None:
    effective = {"necessary": True, "analytics": True, "advertising": False, "social": False}
    record = make_record("c", gpc=True, effective=effective, regimes={"analytics": "opt-out"}, variant="b")
    await store.append(record)
    await store.append(make_record("d"))  # a record without them: empty cells
    out = io.StringIO()
    assert await export_records(store, out, fmt="csv") == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert json.loads(rows[0]["effective"]) == effective
    assert json.loads(rows[0]["regimes"]) == {"analytics": "opt-out"}
    assert rows[0]["variant"] == "b"
    assert (rows[1]["effective"], rows[1]["regimes"], rows[1]["variant"]) == ("", "", "")


async def test_filters_by_time_and_consent_id(store: Store) -> None:
    for i in range(10):
        await store.append(make_record(f"c{i % 2}", when=100.0 + i))
    out = io.StringIO()
    assert await export_records(store, out, since=102.0, until=108.0, consent_ids=["c1"]) == 3
    times = [json.loads(line)["time"] for line in out.getvalue().splitlines()]
    assert times == [103.0, 105.0, 107.0]


async def test_progress_bar_only_on_a_terminal(store: Store) -> None:
    for i in range(1200):
        await store.append(make_record("c", when=float(i))) if i < 3 else None
    await asyncio.gather(*(store.append(make_record(f"d{i}")) for i in range(1197)))
    terminal = _Terminal()
    await export_records(store, io.StringIO(), progress=Progress(1200, stream=terminal))
    assert "100% 1,200/1,200 records" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")
    pipe = io.StringIO()
    await export_records(store, io.StringIO(), progress=Progress(1200, stream=pipe))
    assert pipe.getvalue() == ""


async def test_100k_records_export_in_bounded_memory(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "big.db")
    await store.open()
    try:
        n = 100_000
        for start in range(0, n, 5000):
            await asyncio.gather(
                *(
                    store.append(make_record(f"c{i % 20000}", when=float(i)))
                    for i in range(start, start + 5000)
                )
            )
        target = tmp_path / "export.jsonl"
        tracemalloc.start()
        try:
            with target.open("w", encoding="utf-8") as out:
                count = await export_records(store, out, fmt="jsonl")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        await store.close()
    assert count == n
    with target.open(encoding="utf-8") as exported:
        assert sum(1 for _ in exported) == n
    size = target.stat().st_size
    # The export is ~50 MB of JSON; holding it (or the records) in memory would cost far more than
    # this bound. One page of 1,000 records plus the writer's buffers fits well within it.
    assert size > 40_000_000
    assert peak < 8_000_000, f"export peaked at {peak:,} bytes"
