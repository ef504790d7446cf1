"""SIGKILL the gate in the middle of a load of choices: every answered choice is in the ledger."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from consentgate.ledger.verify import verify
from consentgate.store import SQLiteStore, Store
from consentgate.store.postgres import PostgresStore
from tests.support.gate_process import GateProcess, cookieless_client, gate_process
from tests.support.stores import BACKENDS, postgres_schema, postgres_url

#: Choices answered before the kill; the load goes on while the process dies.
KILL_AFTER = 400
CONCURRENCY = 32


async def _load_then_kill(gate: GateProcess) -> tuple[list[str], int]:
    """Fire choices from CONCURRENCY clients; SIGKILL the gate once KILL_AFTER were answered.

    Returns the consent ids of the answered choices, and how many requests failed (cut off).
    """
    answered: list[str] = []
    failed = 0
    killed = asyncio.Event()

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal failed
        while True:
            try:
                response = await http.post(
                    "/consentgate/consent", json={"action": "accept_all"}, headers=gate.origin_headers
                )
            except httpx.HTTPError:
                failed += 1
                if killed.is_set():
                    return
                continue
            assert response.status_code == 200, response.text
            answered.append(response.json()["id"])
            if len(answered) >= KILL_AFTER and not killed.is_set():
                os.kill(gate.process.pid, signal.SIGKILL)
                killed.set()

    limits = httpx.Limits(max_connections=CONCURRENCY)
    # Keep no cookies: every choice is a new visitor, so each answered consent id has one record.
    async with cookieless_client(base_url=gate.url, limits=limits, timeout=10.0) as http:
        await asyncio.wait_for(asyncio.gather(*(client(http) for _ in range(CONCURRENCY))), 120)
    return answered, failed


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_loses_no_answered_choice(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        path = tmp_path / "ledger.db"
        await _run(f"sqlite:///{path}", lambda: SQLiteStore(path, migrate=False))
        return
    with postgres_schema() as schema:
        url = postgres_url(schema)
        await _run(url, lambda: PostgresStore(url, migrate=False))


async def _run(database: str, reopen: type[Store] | object) -> None:
    with gate_process(database) as gate:
        answered, failed = await _load_then_kill(gate)
        assert gate.process.wait(timeout=10) == -signal.SIGKILL
    assert len(answered) >= KILL_AFTER
    assert failed >= 1  # requests were in flight when the process died
    store: Store = reopen()  # type: ignore[operator]
    await store.open()
    try:
        missing = [cid for cid in answered if len(await store.records(cid)) != 1]
        assert missing == [], f"{len(missing)} answered choices are not in the ledger"
        report = await verify(store)
        assert report.ok, report.problems
        assert report.records >= len(answered)
    finally:
        await store.close()
