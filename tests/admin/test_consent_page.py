"""The consent page over real HTTP: a seeded ledger's figures (checked against SQL counts made here),
the CSV of what is shown, variants with intervals, and the operations page's actions."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from consentgate.ledger.records import ConsentRecord
from tests.support.admin_client import ADMIN, client, create_key, csrf_of, make_gate, sign_in
from tests.support.site import ORIGIN
from tests.support.stores import make_record

ALL = {"necessary": True, "analytics": True, "advertising": True, "social": True}
NONE = {"necessary": True, "analytics": False, "advertising": False, "social": False}
SOME = {"necessary": True, "analytics": True, "advertising": False, "social": False}


def _records(now: float) -> list[ConsentRecord]:
    plan = [
        ("accept_all", ALL, "DE", False, "", 6),
        ("reject_all", NONE, "DE", True, "", 3),
        ("save_choices", SOME, "GB", False, "short", 4),
        ("withdraw", NONE, "GB", False, "short", 1),
        ("accept_all", ALL, "GB", False, "short", 2),
    ]
    records = []
    for i, (action, categories, region, gpc, variant, count) in enumerate(plan):
        for j in range(count):
            when = now - (i * 86400 + j * 60)  # spread over the last five days, today included
            records.append(
                make_record(
                    when=when, action=action, categories=categories, region=region, gpc=gpc, variant=variant
                )
            )
    return records


async def test_the_consent_page_shows_the_ledger_and_its_csv(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    store = await gate.store()
    now = time.time()
    for record in _records(now):
        await store.append(record)
    async with client(gate) as c:
        await sign_in(c, await create_key(gate, "admin"))
        page = await c.get(ADMIN)
        html = page.text
        assert page.status_code == 200 and "<script" not in html.lower()
        conn = sqlite3.connect(tmp_path / "cg.db")
        [(total,)] = conn.execute("SELECT COUNT(*) FROM records").fetchall()
        [(accepted,)] = conn.execute("SELECT COUNT(*) FROM records WHERE action = 'accept_all'").fetchall()
        [(gpc,)] = conn.execute("SELECT COUNT(*) FROM records WHERE gpc = 1").fetchall()
        [(analytics,)] = conn.execute(
            "SELECT COUNT(*) FROM records WHERE chosen LIKE '%,analytics,%'"
        ).fetchall()
        conn.close()
        assert total == 16
        assert f"<tr><td>Records</td><td class=n>{total}</td></tr>" in html
        assert f"<tr><td>Accept all</td><td class=n>{accepted / total * 100:.1f} %</td></tr>" in html
        assert f"<tr><td>GPC signal on</td><td class=n>{gpc / total * 100:.1f} %</td></tr>" in html
        assert f"<tr><td>analytics</td><td class=n>{analytics}</td>" in html
        assert "By banner variant" in html and "short" in html and "(no variant)" in html
        assert html.count("<svg") >= 4

        csv_response = await c.get(ADMIN + "consent.csv")
        assert csv_response.headers["content-disposition"].startswith("attachment;")
        rows = list(csv.DictReader(io.StringIO(csv_response.text)))
        period = [r for r in rows if r["section"] == "period"]
        figures = {r["measure"]: int(r["count"]) for r in period}
        assert figures["accept_all"] == accepted and figures["gpc"] == gpc
        assert figures["granted:analytics"] == analytics
        assert sum(int(r["count"]) for r in rows if r["section"] == "daily") == total
        variant = {r["measure"]: r for r in rows if r["section"] == "variant" and r["group"] == "short"}
        assert variant["accept_all"]["of"] == "7"
        low, high = float(variant["accept_all"]["ci95_low"]), float(variant["accept_all"]["ci95_high"])
        assert 0 < low < 2 / 7 < high < 1

        gb = await c.get(ADMIN + "consent.json?region=GB")
        assert gb.json()["total"]["records"] == 7
    await gate.aclose()


async def test_operations_replay_and_verify_are_csrf_protected_posts(tmp_path: Path) -> None:
    gate = make_gate(
        tmp_path,
        webhooks={
            "subscriptions": {"crm": {"url": "http://127.0.0.1:9/hook", "secret_env": "CG_TEST_UNUSED"}}
        },
    )
    store = await gate.store()
    await store.append(make_record())
    conn = sqlite3.connect(tmp_path / "cg.db")
    conn.execute(
        "INSERT INTO outbox (msg_id, endpoint, subject, type, payload, created_at, retry_from, next_at, state,"
        " last_status, last_error) VALUES ('m1', 'crm', 's', 'consent.updated', '{}', 1, 1, 1, 'dead', 500,"
        " 'HTTP 500 from the CRM')"
    )
    conn.commit()
    conn.close()
    async with client(gate) as c:
        await sign_in(c, await create_key(gate, "admin"))
        page = await c.get(ADMIN + "operations")
        assert "HTTP 500: HTTP 500 from the CRM" in page.text and "Replay 1" in page.text
        assert "has not been verified" in page.text
        token = csrf_of(page.text)
        forged = await c.post(
            ADMIN + "webhooks/replay", data={"endpoint": "crm", "csrf": "0" * 64}, headers={"origin": ORIGIN}
        )
        assert forged.status_code == 403
        replay = await c.post(
            ADMIN + "webhooks/replay", data={"endpoint": "crm", "csrf": token}, headers={"origin": ORIGIN}
        )
        assert replay.status_code == 303
        assert (await store.webhook_health())[0].dead == 0
        verified = await c.post(ADMIN + "verify", data={"csrf": token}, headers={"origin": ORIGIN})
        assert verified.status_code == 303
        after = await c.get(verified.headers["location"])
        assert "Ledger verified." in after.text and "1 records in 1 chains" in after.text
    await gate.aclose()


async def test_a_verify_run_from_the_cli_shows_on_the_operations_page(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    await (await gate.store()).append(make_record())
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "consentgate.cli", "verify", "--database", f"sqlite:///{tmp_path / 'cg.db'}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    async with client(gate) as c:
        page = await c.get(
            ADMIN + "operations", headers={"authorization": f"Bearer {await create_key(gate, 'read')}"}
        )
        assert "verified: no record edited" in page.text and "(cli)" in page.text
        assert "Verify the ledger now" not in page.text  # a read key sees, only an admin acts
    await gate.aclose()
