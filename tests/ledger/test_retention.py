"""Retention with an injected clock: ``prune`` once, and the scheduled in-process task."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consentgate.config import load_config
from consentgate.ledger.retention import cutoff, prune, start_background
from consentgate.ledger.verify import verify
from consentgate.store import SQLiteStore, Store
from tests.support.stores import BACKENDS, backend_store, make_record

DAY = 86400.0
T0 = 1_700_000_000.0


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with backend_store(request.param, tmp_path) as opened:
        yield opened


def test_default_retention_is_five_years() -> None:
    config = load_config()
    assert config.ledger.retention_days == 1826
    assert cutoff(config, T0) == T0 - 1826 * DAY


async def test_prune_keeps_consents_until_retention_after_their_last_record(store: Store) -> None:
    config = load_config(ledger={"retention_days": 30})
    # expired: last record + expiry 10 days after T0
    await store.append(make_record("old", when=T0, expires_at=T0 + 10 * DAY))
    # refreshed later: the whole chain stays, the early record too
    await store.append(make_record("renewed", when=T0, expires_at=T0 + 10 * DAY))
    await store.append(make_record("renewed", when=T0 + 20 * DAY, expires_at=T0 + 30 * DAY))
    # still valid for a long time: kept whatever its recording date
    await store.append(make_record("long", when=T0, expires_at=T0 + 100 * DAY))

    now = T0 + 45 * DAY  # cutoff = T0 + 15 days
    assert await prune(store, config, clock=lambda: now) == 1
    assert await store.records("old") == []
    assert len(await store.records("renewed")) == 2
    assert len(await store.records("long")) == 1
    assert (await verify(store)).ok

    now = T0 + 65 * DAY  # cutoff = T0 + 35 days: "renewed" expires now
    assert await prune(store, config, clock=lambda: now) == 2
    assert await store.records("renewed") == []
    assert len(await store.records("long")) == 1
    assert (await verify(store)).ok


async def test_background_task_prunes_on_schedule(store: Store) -> None:
    config = load_config(ledger={"retention_days": 1, "prune_interval_hours": 6})
    now = [T0]
    slept: list[float] = []
    tick = asyncio.Event()
    resume = asyncio.Event()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        tick.set()
        await resume.wait()
        resume.clear()

    await store.append(make_record("visitor", when=T0, expires_at=T0 + DAY))
    task = start_background(store, config, clock=lambda: now[0], sleep=sleep)
    assert task is not None
    try:
        await asyncio.wait_for(tick.wait(), 10)  # first run: nothing expired yet
        assert len(await store.records("visitor")) == 1
        assert slept == [6 * 3600.0]

        tick.clear()
        now[0] = T0 + 3 * DAY  # a day after expiry + 1 day retention has passed
        resume.set()
        await asyncio.wait_for(tick.wait(), 10)
        assert await store.records("visitor") == []
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_background_task_is_off_when_interval_is_zero(store: Store) -> None:
    config = load_config(ledger={"prune_interval_hours": 0})
    assert start_background(store, config) is None


async def test_background_task_survives_a_failing_store(tmp_path: Path) -> None:
    """A store that fails (here: closed under it) is logged and retried, never raised into the app."""
    config = load_config(ledger={"prune_interval_hours": 1})
    runs = asyncio.Event()

    async def sleep(seconds: float) -> None:
        runs.set()
        await asyncio.Event().wait()  # park forever

    async with backend_store("sqlite", tmp_path) as opened:
        pass  # closed: its writer and readers are gone; prune still opens its own connection
    (tmp_path / "ledger.db").unlink()
    (tmp_path / "ledger.db").mkdir()  # a directory where the database was: every open fails
    task = start_background(opened, config, sleep=sleep)
    assert task is not None
    await asyncio.wait_for(runs.wait(), 10)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_gate_starts_pruning_when_it_opens_its_store(tmp_path: Path) -> None:
    import httpx
    from starlette.applications import Starlette

    from consentgate import ConsentMiddleware

    store = SQLiteStore(tmp_path / "gate.db")
    await store.open()
    await store.append(make_record("ancient", when=1000.0, expires_at=2000.0))  # long expired
    gate = ConsentMiddleware(Starlette(), secret_key="k" * 32, store=store)
    try:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post(
                "/consentgate/consent", json={"action": "reject_all"}, headers={"origin": "http://testserver"}
            )
            assert response.status_code == 200
        for _ in range(200):  # the prune runs beside the request; give it a moment
            if not await store.records("ancient"):
                break
            await asyncio.sleep(0.05)
        assert await store.records("ancient") == []
        assert len(await store.records(response.json()["id"])) == 1
    finally:
        await gate.aclose()


async def test_a_later_record_with_a_shorter_expiry_does_not_cut_the_retention(store: Store) -> None:
    config = load_config(ledger={"retention_days": 30})
    await store.append(make_record("v", when=T0, expires_at=T0 + 400 * DAY))  # a long consent
    await store.append(make_record("v", when=T0 + DAY, expires_at=T0 + 2 * DAY))  # then a short one
    assert await prune(store, config, clock=lambda: T0 + 100 * DAY) == 0
    assert len(await store.records("v")) == 2
    assert await prune(store, config, clock=lambda: T0 + 431 * DAY) == 2
