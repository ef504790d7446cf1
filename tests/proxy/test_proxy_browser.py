"""The banner's flows in headless Chromium through the gated proxy in front of nginx serving
``examples/static_site/`` (marker ``browser``): accept, reject, and GPC.

Nothing leaves the machine: third-party requests are answered by the local fake of the browser
tests' fixtures, and recorded and classified with the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from consentgate import ConsentMiddleware, ProxyApp
from tests.browser.conftest import (  # the browser tests' fixtures, reused
    ContextFactory,
    Recorder,
    Site,
    browser,
    make_context,
    playwright_instance,
    serve,
)
from tests.proxy.conftest import SECRET, nginx_server

pytestmark = pytest.mark.browser
__all__ = ["browser", "make_context", "playwright_instance"]

GPC_INIT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """nginx serving the static site, and the gated proxy in front of it on uvicorn."""
    with nginx_server(tmp_path_factory.mktemp("nginx")) as origin:
        proxy = ProxyApp(upstream=origin)
        database = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'consentgate.db'}"
        with serve(ConsentMiddleware(proxy, secret_key=SECRET, database=database)) as running:
            yield running


def _open(make_context: ContextFactory, path: str = "/", **kwargs: Any) -> tuple[Page, Recorder]:
    context, recorder = make_context(**kwargs)
    page = context.new_page()
    page.goto(path)
    return page, recorder


def _button(page: Page, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def _settle(page: Page, quiet_ms: int = 600, limit_ms: int = 10000) -> None:
    """Waits until the page has made no request for ``quiet_ms`` (after load)."""
    page.wait_for_load_state("load")
    count = page.evaluate("() => performance.getEntriesByType('resource').length")
    waited = still = 0
    while still < quiet_ms and waited < limit_ms:
        page.wait_for_timeout(100)
        waited += 100
        now = page.evaluate("() => performance.getEntriesByType('resource').length")
        still = still + 100 if now == count else 0
        count = now


def _choose(page: Page, name: str) -> None:
    page.evaluate(
        "() => { window.__cgChanges = 0; addEventListener('consentgate:change', () => window.__cgChanges++); }"
    )
    with page.expect_response(lambda r: r.url.endswith("/consentgate/consent") and r.request.method != "GET"):
        _button(page, name).click()
    page.wait_for_function("() => window.__cgChanges > 0")


def test_accept_all_brings_the_static_sites_tags(make_context: ContextFactory) -> None:
    page, recorder = _open(make_context)
    expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()
    _settle(page)
    assert recorder.third_party == []  # the hard-coded tags stayed inert
    _choose(page, "Accept all")
    assert recorder.wait_for(lambda: recorder.categories() >= {"analytics", "advertising", "social"}, page), (
        recorder.third_party
    )
    recorder.clear()
    page.goto("/care-guide.html")
    _settle(page)
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert {"analytics", "advertising", "social"} <= recorder.categories()
    assert recorder.errors == []


def test_reject_all_brings_nothing_on_any_page(make_context: ContextFactory) -> None:
    page, recorder = _open(make_context)
    _choose(page, "Reject all")
    for path in ("/", "/plans.html", "/care-guide.html"):
        page.goto(path)
        _settle(page)
        expect(page.get_by_role("dialog")).to_be_hidden()
        expect(_button(page, "Privacy choices")).to_be_visible()
    assert recorder.third_party == []
    state = next(c["value"] for c in page.context.cookies() if c["name"] == "consentgate_state")
    assert state == "1.1.necessary"


def test_with_gpc_advertising_never_loads(make_context: ContextFactory) -> None:
    page, recorder = _open(make_context, extra_http_headers={"Sec-GPC": "1"})
    page.context.add_init_script(GPC_INIT)
    page.reload()
    expect(page.get_by_text("Global Privacy Control signal is honoured")).to_be_visible()
    _choose(page, "Accept all")
    assert recorder.wait_for(lambda: "analytics" in recorder.categories(), page)
    page.goto("/care-guide.html")
    _settle(page)
    assert "analytics" in recorder.categories()
    assert "advertising" not in recorder.categories(), recorder.third_party
