"""The ledger keeps the visitor's choice and the effective state after signals; old records still verify.

Through real HTTP (httpx ASGITransport) into real SQLite files and the real PostgreSQL: "Accept all"
with ``Sec-GPC: 1`` is recorded as chosen (every category) and as effective (GPC's categories
refused), the analytics columns of schema v5 say the same, and the status API and the webhook
payload report the effective state.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from consentgate import ConsentMiddleware
from consentgate.ledger.records import ConsentRecord, content_hash, link_hash
from consentgate.ledger.verify import verify
from consentgate.store import SQLiteStore
from consentgate.store.schema import MIGRATIONS
from consentgate.webhooks.signing import new_secret
from tests.support.api import API, SAME_ORIGIN, bearer, make_key
from tests.support.site import GateFactory, client_for
from tests.support.stores import BACKENDS, make_record, postgres_schema, postgres_url, raw_execute

GPC = {**SAME_ORIGIN, "sec-gpc": "1"}


@pytest.fixture(params=BACKENDS)
async def gpc_gate(
    request: pytest.FixtureRequest, make_gate: GateFactory
) -> AsyncIterator[ConsentMiddleware]:
    hooks = {"subscriptions": {"crm": {"url": "http://127.0.0.1:9/hook", "secret": new_secret()}}}
    options: dict[str, Any] = {"webhooks": {"worker": "external", **hooks}}
    if request.param == "sqlite":
        gate = make_gate(**options)
        yield gate
        await gate.aclose()
        return
    with postgres_schema() as schema:
        gate = make_gate(database=postgres_url(schema), **options)
        yield gate
        await gate.aclose()


async def test_accept_all_under_gpc_records_the_choice_and_the_effective_state(
    gpc_gate: ConsentMiddleware,
) -> None:
    optional = [name for name in gpc_gate.config.category_names if name != "necessary"]
    refused = set(gpc_gate.config.signals.gpc_refuses)
    async with client_for(gpc_gate) as web:
        answer = await web.post("/consentgate/consent", json={"action": "accept_all"}, headers=GPC)
        assert answer.status_code == 200
        cid = answer.json()["id"]
        key = await make_key(gpc_gate, "read")
        status = (await web.get(f"{API}/subjects/{cid}", headers=bearer(key))).json()
        feed = (await web.get(f"{API}/changes", headers=bearer(key))).json()
    store = await gpc_gate.store()
    [record] = await store.records(cid)
    effective = {name: name not in refused for name in gpc_gate.config.category_names}
    assert record.gpc is True
    assert dict(record.categories) == dict.fromkeys(gpc_gate.config.category_names, True)
    assert dict(record.effective or {}) == effective
    assert record.regimes == dict.fromkeys(optional, "opt-in")
    # What a marketing system sees is the effective state: advertising stays refused.
    assert status["categories"] == effective
    assert status["opt_outs"]["sale_sharing"]["opted_out"] is True
    assert [change["categories"] for change in feed["changes"]] == [effective]
    [delivery] = await store.deliveries()
    payload = json.loads(delivery.payload)["data"]
    assert payload["categories"] == effective
    assert payload["chosen"] == dict.fromkeys(gpc_gate.config.category_names, True)
    assert payload["opt_outs"]["targeted_advertising"] is True
    # The analytics columns say the same, for SQL aggregates that never parse the content.
    [row] = raw_execute(
        store,
        "SELECT action, region, gpc, shown_hash, config_revision, chosen, effective, variant"
        " FROM records WHERE consent_id = ?",
        [cid],
    )
    granted = [name for name, ok in effective.items() if ok]
    assert row == (
        "accept_all",
        "",
        1,
        gpc_gate.injection.shown_hash,
        1,
        "," + ",".join(gpc_gate.config.category_names) + ",",
        "," + ",".join(granted) + ",",
        "",
    )
    assert (await verify(store)).ok


def test_a_record_without_the_new_fields_hashes_as_it_always_did() -> None:
    """A record of before (no effective state, regimes or variant) has the same content and hash."""
    record = make_record("c1")
    old_fields = [
        "record_id", "consent_id", "time", "action", "categories", "config_revision", "shown_hash",
        "language", "host", "regime", "gpc", "dnt", "region", "ua_family", "expires_at", "source",
        "prev_hash", "hash", "extra",
    ]  # fmt: skip
    old = {name: getattr(record, name) for name in old_fields}
    old["categories"], old["extra"] = dict(record.categories), dict(record.extra)
    assert record.to_json() == old
    assert record.content_hash() == content_hash(old)
    assert ConsentRecord.from_json(record.to_json()) == record
    full = make_record("c1", effective={"necessary": True}, regimes={"analytics": "opt-out"}, variant="b")
    assert full.content_hash() != record.content_hash()
    assert ConsentRecord.from_json(full.to_json()) == full


async def test_a_ledger_written_before_schema_v5_upgrades_and_still_verifies(tmp_path: Path) -> None:
    """Records appended by the schema of v4 (content as it was then) verify after the upgrade, and a
    new record chained onto one of them verifies too."""
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
        " applied_at REAL NOT NULL)"
    )
    for migration in MIGRATIONS[:4]:
        for statement in migration.sqlite:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, 'old', 0)", (migration.version,))
    old = make_record("old-visitor")
    data = old.to_json()
    del data["prev_hash"], data["hash"]
    content = content_hash(data)
    chain_hash = link_hash("", content)
    conn.execute(
        "INSERT INTO records (record_id, consent_id, time, keep_until, content_hash, prev_hash, hash, data)"
        " VALUES (?, ?, ?, ?, ?, '', ?, ?)",
        (old.record_id, old.consent_id, old.time, old.expires_at, content, chain_hash, json.dumps(data)),
    )
    conn.execute(
        "INSERT INTO heads (consent_id, hash, record_id, count, keep_until) VALUES (?, ?, ?, 1, ?)",
        (old.consent_id, chain_hash, old.record_id, old.expires_at),
    )
    conn.close()
    store = SQLiteStore(path)
    await store.open()
    try:
        newer = make_record("old-visitor", when=old.time + 60, effective={"necessary": True}, variant="b")
        await store.append(newer)
        report = await verify(store)
        assert report.ok, report.problems
        assert report.records == 2
        rows = raw_execute(store, "SELECT effective, variant FROM records ORDER BY seq")
        assert rows == [("", ""), (",necessary,", "b")]
        first, second = await store.records("old-visitor")
        assert first.effective is None and first.state == first.categories
        assert second.prev_hash == chain_hash
    finally:
        await store.close()
