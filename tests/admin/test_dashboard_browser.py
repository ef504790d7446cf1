"""The dashboard in real headless Chromium (marker ``browser``): sign in with an admin key, the charts
of a seeded ledger whose figures match SQL counts made here, the CSV download, sign out; a read key
cannot sign in; a cross-site form post is refused; axe finds no serious or critical violation."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from consentgate import ConsentMiddleware
from consentgate.api.keys import ApiKey, hash_key, new_key
from consentgate.store import SQLiteStore
from tests.browser.conftest import AXE_JS, CHROMIUM_ARGS, SECRET, Site, serve
from tests.support.site import site_app
from tests.support.stores import make_record

pytestmark = pytest.mark.browser

ADMIN = "/consentgate/admin/"
ALL = {"necessary": True, "analytics": True, "advertising": True, "social": True}
NONE = {"necessary": True, "analytics": False, "advertising": False, "social": False}
SOME = {"necessary": True, "analytics": True, "advertising": False, "social": False}


async def _seed(path: Path) -> dict[str, str]:
    """A ledger of 60 choices over the last two weeks, and a read and an admin key."""
    store = SQLiteStore(path)
    await store.open()
    now = time.time()
    kinds = [("accept_all", ALL), ("reject_all", NONE), ("save_choices", SOME), ("withdraw", NONE)]
    for i in range(60):
        action, categories = kinds[i % 4 if i % 3 else 0]
        await store.append(
            make_record(
                when=now - (i % 14) * 86400 - i,
                action=action,
                categories=categories,
                region="DE" if i % 2 else "GB",
                gpc=i % 5 == 0,
                variant="short" if i % 3 == 0 else "",
            )
        )
    keys = {}
    for scope in ("read", "admin"):
        key_id, key = new_key()
        await store.add_api_key(ApiKey(key_id, scope, scope, now), hash_key(key))
        keys[scope] = key
    await store.close()
    return keys


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Path, dict[str, str]]]:
    path = tmp_path_factory.mktemp("dashboard") / "cg.db"
    # A thread of its own: pytest-asyncio may have a loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        keys = pool.submit(asyncio.run, _seed(path)).result()
    logs = {"enabled": True, "path": str(path.parent / "logs" / "requests.log")}
    gate = ConsentMiddleware(site_app(), secret_key=SECRET, database=f"sqlite:///{path}", logging=logs)
    with serve(gate) as running:
        yield running, path, keys


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _sign_in(page: Page, site: Site, key: str) -> None:
    page.goto(site.url + ADMIN)
    page.get_by_label("Admin API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def _sql(path: Path, query: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(query).fetchone()[0])
    finally:
        conn.close()


def _axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE_JS))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_sign_in_see_the_figures_download_the_csv_and_sign_out(
    browser: Browser, dashboard: tuple[Site, Path, dict[str, str]], tmp_path: Path
) -> None:
    site, path, keys = dashboard
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    _sign_in(page, site, keys["admin"])
    expect(page.get_by_role("heading", name="Choices per day")).to_be_visible()
    [cookie] = [c for c in context.cookies() if c["name"] == "consentgate_admin"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    total = _sql(path, "SELECT COUNT(*) FROM records")
    rejected = _sql(path, "SELECT COUNT(*) FROM records WHERE action = 'reject_all'")
    analytics = _sql(path, "SELECT COUNT(*) FROM records WHERE chosen LIKE '%,analytics,%'")
    summary = page.get_by_role("table", name="Summary")
    expect(summary.get_by_role("row", name="Records")).to_contain_text(str(total))
    expect(summary.get_by_role("row", name="Reject all")).to_contain_text(f"{rejected / total * 100:.1f} %")
    grants = page.get_by_role("table", name="Grant rate per category")
    expect(grants.get_by_role("row", name="analytics")).to_contain_text(f"{analytics / total * 100:.1f} %")
    assert page.locator("svg[role=img]").count() >= 4
    expect(page.get_by_role("heading", name="By banner variant")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these figures (CSV)").click()
    target = tmp_path / "figures.csv"
    download_info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    period = {r["measure"]: int(r["count"]) for r in rows if r["section"] == "period"}
    assert period["reject_all"] == rejected and period["granted:analytics"] == analytics

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to the consent dashboard")).to_be_visible()
    page.goto(site.url + ADMIN)
    expect(page.get_by_label("Admin API key")).to_be_visible()
    context.close()


def test_a_read_key_cannot_sign_in(browser: Browser, dashboard: tuple[Site, Path, dict[str, str]]) -> None:
    site, _, keys = dashboard
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, site, keys["read"])
    expect(page.get_by_role("alert")).to_contain_text("only a key with the 'admin' scope signs in")
    expect(page.get_by_role("heading", name="Choices per day")).to_have_count(0)
    context.close()


def test_a_cross_site_form_post_is_refused(
    browser: Browser, dashboard: tuple[Site, Path, dict[str, str]]
) -> None:
    site, path, keys = dashboard
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, site, keys["admin"])
    page.goto(site.url + ADMIN + "operations")
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    # Another site (localhost is not 127.0.0.1) posts the verify form, with the right token even.
    evil = Starlette(
        routes=[
            Route(
                "/",
                lambda request: HTMLResponse(
                    f'<!doctype html><html lang=en><title>evil</title><form method="post" '
                    f'action="{site.url}{ADMIN}verify"><input type="hidden" name="csrf" value="{token}">'
                    '<button type="submit">Win a prize</button></form></html>'
                ),
            )
        ]
    )
    before = _sql(path, "SELECT COUNT(*) FROM verify_runs")
    with serve(evil) as other:
        page.goto(other.url.replace("127.0.0.1", "localhost") + "/")
        with page.expect_response(lambda r: r.url.endswith("/verify")) as answer:
            page.get_by_role("button", name="Win a prize").click()
        assert answer.value.status in (401, 403)
    assert _sql(path, "SELECT COUNT(*) FROM verify_runs") == before
    context.close()


def test_axe_finds_no_serious_or_critical_violation(
    browser: Browser, dashboard: tuple[Site, Path, dict[str, str]]
) -> None:
    site, _, keys = dashboard
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script; the pages have none
    page = context.new_page()
    page.goto(site.url + ADMIN)
    assert _axe(page) == []
    _sign_in(page, site, keys["admin"])
    expect(page.get_by_role("heading", name="Choices per day")).to_be_visible()
    assert _axe(page) == []
    page.goto(site.url + ADMIN + "operations")
    assert _axe(page) == []
    context.close()
