"""The admin page: behind a read-scoped key, charts as inline SVG, no script, strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from pathlib import Path

import httpx

from consentgate import ConsentMiddleware
from consentgate.api.keys import ApiKey, hash_key, new_key
from tests.support.site import ORIGIN, SECRET, site_app

ADMIN = "/consentgate/admin/"

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"


class Keys:
    """Keys made the way ``consentgate keys create`` makes them: stored hashed in the gate's own store."""

    def __init__(self, gate: ConsentMiddleware) -> None:
        self.gate = gate

    async def create(self, scope: str) -> str:
        key_id, key = new_key()
        store = await self.gate.store()
        await store.add_api_key(ApiKey(key_id, f"test-{scope}", scope, time.time()), hash_key(key))
        return key


def make_gate(tmp_path: Path) -> tuple[ConsentMiddleware, Keys]:
    gate = ConsentMiddleware(
        site_app(),
        secret_key=SECRET,
        database=f"sqlite:///{tmp_path / 'cg.db'}",
        logging={"enabled": True, "path": str(tmp_path / "logs" / "requests.log"), "rollup_every_minutes": 0},
    )
    return gate, Keys(gate)


def client(gate: ConsentMiddleware) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=gate, client=("203.0.113.77", 5000))
    return httpx.AsyncClient(transport=transport, base_url=ORIGIN)


async def test_the_page_needs_a_read_key(tmp_path: Path) -> None:
    gate, keys = make_gate(tmp_path)
    other = await keys.create("audit")
    async with client(gate) as c:
        missing = await c.get("/consentgate/admin/")
        assert missing.status_code == 401
        assert missing.json()["error"] == "unauthorized"
        assert missing.headers["www-authenticate"].startswith("Basic ")
        wrong = await c.get(
            "/consentgate/admin/", headers={"authorization": "Bearer cgk_000000000000_" + "x" * 40}
        )
        assert wrong.status_code == 401
        garbage = await c.get("/consentgate/admin/", headers={"authorization": "Basic !!!"})
        assert garbage.status_code == 401
        scoped = await c.get("/consentgate/admin/stats.json", headers={"authorization": f"Bearer {other}"})
        assert scoped.status_code == 403
        assert scoped.json()["error"] == "forbidden"
    await gate.aclose()


async def test_the_page_shows_the_figures_as_svg_without_script(tmp_path: Path) -> None:
    gate, keys = make_gate(tmp_path)
    read = await keys.create("read")
    async with client(gate) as c:
        for _ in range(3):
            await c.get("/", headers={"user-agent": FIREFOX})
        await c.get("/%3Cscript%3Ealert(1)%3C/script%3E")
        assert gate.request_log is not None
        gate.request_log.close()  # every line on disk before the page reads them

        page = await c.get("/consentgate/admin/", headers={"authorization": f"Bearer {read}"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        html = page.text
        assert "<script" not in html.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert html.count("<svg") >= 6
        assert "4 requests" in html and "Firefox" in html
        # The one stylesheet is allowed by its hash, nothing else is.
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        style = re.search(r"<style>(.*?)</style>", html, re.S)
        assert style is not None
        digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp

        basic = base64.b64encode(f"admin:{read}".encode()).decode()
        data = await c.get(
            "/consentgate/admin/stats.json?hours=1", headers={"authorization": f"Basic {basic}"}
        )
        assert data.status_code == 200
        report = data.json()
        # The four pages; the admin page's own line may still be queued (logging is off the request path).
        assert report["requests"] >= 4
        assert report["browsers"]["Firefox"] == 3
        assert report["consent"]["all"]["views"] == 4
    await gate.aclose()


async def test_bad_periods_are_400s(tmp_path: Path) -> None:
    gate, keys = make_gate(tmp_path)
    auth = {"authorization": f"Bearer {await keys.create('write')}"}
    async with client(gate) as c:
        for query in (
            "hours=0",
            "hours=abc",
            "since=yesterday",
            "since=2026-11-23T12:00:00Z&until=2026-11-22",
        ):
            response = await c.get(f"/consentgate/admin/stats.json?{query}", headers=auth)
            assert response.status_code == 400, query
            assert set(response.json()) == {"error", "detail"}
        ok = await c.get(
            "/consentgate/admin/?since=2026-11-01T00:00:00Z&until=2026-11-02T00:00:00Z", headers=auth
        )
        assert ok.status_code == 200
    await gate.aclose()


async def test_keys_made_like_the_cli_makes_them_open_the_page(tmp_path: Path) -> None:
    """The default check: a key stored by `consentgate keys create` (hashed), its scope, revocation."""
    gate = ConsentMiddleware(
        site_app(),
        secret_key=SECRET,
        database=f"sqlite:///{tmp_path / 'cg.db'}",
        logging={"enabled": True, "path": str(tmp_path / "logs" / "requests.log"), "rollup_every_minutes": 0},
    )
    store = await gate.store()
    key_id, key = new_key()
    await store.add_api_key(ApiKey(key_id, "ops", "read", 1.0), hash_key(key))
    async with client(gate) as c:
        assert (await c.get(ADMIN, headers={"authorization": f"Bearer {key}"})).status_code == 200
        wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
        assert (await c.get(ADMIN, headers={"authorization": f"Bearer {wrong}"})).status_code == 401
        await store.revoke_api_key(key_id, now=2.0)
        assert (await c.get(ADMIN, headers={"authorization": f"Bearer {key}"})).status_code == 401
    await gate.aclose()
