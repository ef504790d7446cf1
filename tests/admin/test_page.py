"""The request-log part of the dashboard: charts as inline SVG with tables, no script, strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from tests.support.admin_client import ADMIN, client, create_key, make_gate, sign_in

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"


async def test_without_a_session_or_key_the_pages_ask_to_sign_in(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    other = await create_key(gate, "audit")
    async with client(gate) as c:
        form = await c.get(ADMIN)
        assert form.status_code == 200 and "Sign in" in form.text
        for path in ("requests", "operations", "stats.json", "consent.csv"):
            missing = await c.get(ADMIN + path)
            assert missing.status_code == 401, path
            assert missing.json()["error"] == "unauthorized"
        wrong = await c.get(
            ADMIN + "requests", headers={"authorization": "Bearer cgk_000000000000_" + "x" * 40}
        )
        assert wrong.status_code == 401
        garbage = await c.get(ADMIN + "requests", headers={"authorization": "Basic !!!"})
        assert garbage.status_code == 401
        scoped = await c.get(ADMIN + "stats.json", headers={"authorization": f"Bearer {other}"})
        assert scoped.status_code == 403 and scoped.json()["error"] == "forbidden"
    await gate.aclose()


async def test_the_requests_page_shows_the_figures_as_svg_without_script(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    read = await create_key(gate, "read")
    async with client(gate) as c:
        for _ in range(3):
            await c.get("/", headers={"user-agent": FIREFOX})
        await c.get("/%3Cscript%3Ealert(1)%3C/script%3E")
        assert gate.request_log is not None
        gate.request_log.close()  # every line on disk before the page reads them

        page = await c.get(ADMIN + "requests", headers={"authorization": f"Bearer {read}"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        html = page.text
        assert "<script" not in html.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert html.count("<svg") >= 6 and html.count("<table") >= 6
        assert "4 requests" in html and "Firefox" in html
        assert "None" not in html  # a latency without data reads n/a, never "None ms"
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        style = re.search(r"<style>(.*?)</style>", html, re.S)
        assert style is not None
        digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp

        basic = base64.b64encode(f"admin:{read}".encode()).decode()
        data = await c.get(ADMIN + "stats.json?hours=1", headers={"authorization": f"Basic {basic}"})
        assert data.status_code == 200
        report = data.json()
        assert report["requests"] >= 4
        assert report["browsers"]["Firefox"] == 3
        assert report["consent"]["all"]["views"] == 4
    await gate.aclose()


async def test_latency_without_requests_reads_n_a(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, logging={"enabled": False})
    async with client(gate) as c:
        await sign_in(c, await create_key(gate, "admin"))
        page = await c.get(ADMIN + "requests?hours=1")
        assert "Latency p50 n/a, p90 n/a, p99 n/a" in page.text
        assert "Request logging is off" in page.text
    await gate.aclose()


async def test_bad_periods_are_400s(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    auth = {"authorization": f"Bearer {await create_key(gate, 'write')}"}
    async with client(gate) as c:
        for query in (
            "hours=0",
            "hours=abc",
            "since=yesterday",
            "since=2026-11-23T12:00:00Z&until=2026-11-22",
        ):
            response = await c.get(f"{ADMIN}stats.json?{query}", headers=auth)
            assert response.status_code == 400, query
            assert set(response.json()) == {"error", "detail"}
        for query in (
            "from=2026-13-01",
            "from=2026-11-02&to=2026-11-01",
            "from=2020-01-01&to=2026-01-01",
            "region=%3Cb%3E",
        ):
            response = await c.get(f"{ADMIN}consent.json?{query}", headers=auth)
            assert response.status_code == 400, query
        ok = await c.get(
            f"{ADMIN}requests?since=2026-11-01T00:00:00Z&until=2026-11-02T00:00:00Z", headers=auth
        )
        assert ok.status_code == 200
    await gate.aclose()
