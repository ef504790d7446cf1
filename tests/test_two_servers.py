"""Two gate processes (real uvicorn) on one PostgreSQL database record into one ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from consentgate.ledger.records import link_hash
from consentgate.ledger.verify import verify
from consentgate.store.postgres import PostgresStore
from tests.support.gate_process import GateProcess, cookieless_client, gate_process
from tests.support.stores import postgres_schema, postgres_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def servers() -> Iterator[tuple[GateProcess, GateProcess, str]]:
    """Two gates started at once (both migrate on start) on one fresh schema."""
    with postgres_schema() as schema, ExitStack() as stack:
        url = postgres_url(schema)
        a = stack.enter_context(gate_process(url))
        b = stack.enter_context(gate_process(url))
        yield a, b, url


async def _choose(
    http: httpx.AsyncClient, gate: GateProcess, body: dict[str, object], cookie: str | None = None
) -> tuple[str, str]:
    headers = dict(gate.origin_headers)
    if cookie:
        headers["cookie"] = f"consentgate={cookie}"
    response = await http.post(gate.url + "/consentgate/consent", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["id"], response.cookies["consentgate"]


async def _ledger(http: httpx.AsyncClient, gate: GateProcess, consent_id: str) -> list[dict[str, object]]:
    response = await http.get(f"{gate.url}/ledger/{consent_id}")
    assert response.status_code == 200
    records: list[dict[str, object]] = response.json()
    return records


async def test_each_server_sees_the_others_records_at_once(
    servers: tuple[GateProcess, GateProcess, str],
) -> None:
    a, b, _url = servers
    async with cookieless_client(timeout=10.0) as http:
        consent_id, cookie = await _choose(http, a, {"action": "accept_all"})
        seen_by_b = await _ledger(http, b, consent_id)
        assert [r["action"] for r in seen_by_b] == ["accept_all"]

        same_id, _ = await _choose(http, b, {"action": "reject_all"}, cookie)
        assert same_id == consent_id
        seen_by_a = await _ledger(http, a, consent_id)
        assert [r["action"] for r in seen_by_a] == ["accept_all", "reject_all"]
        first, second = seen_by_a
        assert second["prev_hash"] == first["hash"]  # one chain across both servers


async def test_concurrent_choices_on_both_servers_keep_every_chain(
    servers: tuple[GateProcess, GateProcess, str],
) -> None:
    a, b, url = servers
    async with cookieless_client(timeout=20.0) as http:
        visitors = [await _choose(http, a if i % 2 else b, {"action": "accept_all"}) for i in range(8)]
        bodies: list[dict[str, object]] = [{"action": "reject_all"}, {"action": "accept_all"}]
        await asyncio.gather(
            *(_choose(http, (a, b)[i % 2], bodies[i % 3 % 2], visitors[i % 8][1]) for i in range(160))
        )
        for consent_id, _ in visitors:
            chain = await _ledger(http, (a, b)[len(consent_id) % 2], consent_id)
            assert len(chain) == 21
            prev = ""
            for record in chain:
                assert record["prev_hash"] == prev
                prev = str(record["hash"])
    store = PostgresStore(url, migrate=False)
    await store.open()
    try:
        report = await verify(store)
        assert report.ok, report.problems
        assert report.records == 168
        last = (await store.records(visitors[0][0]))[-1]
        assert last.hash == link_hash(last.prev_hash, last.content_hash())
    finally:
        await store.close()
