"""The banner under a strict Content Security Policy: nonces only, no inline styles (marker ``browser``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.browser.conftest import SECRET, ContextFactory, Site, _contexts, gated, serve

pytestmark = pytest.mark.browser

NONCE = "cspN0nce4banner"
CSP = (
    f"default-src 'self'; script-src 'nonce-{NONCE}' 'strict-dynamic'; style-src 'self'; "
    "img-src 'self' https:; frame-src https:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)
PAGE = f"""<!doctype html><html lang="en"><head><title>strict</title>
<script nonce="{NONCE}">window.siteScript = true;
window.addEventListener('load', () => {{
  const img = document.createElement('img'); img.alt = ''; img.id = 'late';
  img.src = 'https://img.partner-cdn.example/logo.png'; document.body.append(img);
}});</script>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST123" nonce="{NONCE}"></script>
</head><body><h1>Strict CSP page</h1><p>Content.</p></body></html>"""
WATCH = "window.__violations = []; document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"


async def _page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP})


@pytest.fixture(scope="module")
def csp_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    database = f"sqlite:///{tmp_path_factory.mktemp('csp') / 'consentgate.db'}"
    with serve(gated(Starlette(routes=[Route("/", _page)]), SECRET, database)) as running:
        yield running


@pytest.fixture
def csp_context(browser: Browser, csp_site: Site) -> Iterator[ContextFactory]:
    yield from _contexts(browser, csp_site)


def test_banner_works_under_a_strict_csp_with_the_page_nonce(csp_context: ContextFactory) -> None:
    context, recorder = csp_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    page.goto("/")
    dialog = page.get_by_role("dialog", name="We respect your privacy")
    expect(dialog).to_be_visible()
    # Styled without 'unsafe-inline': the CSS was applied (a fixed overlay).
    assert dialog.evaluate("el => getComputedStyle(el).position") == "fixed"
    assert page.evaluate("() => window.siteScript") is True
    # A tag page code inserts: held until the guard's rules (a script asset, loaded with the nonce)
    # decide; a host no list knows loads (unknown hosts are allowed by default).
    page.wait_for_function("() => document.getElementById('late') && document.getElementById('late').src")
    assert recorder.wait_for(lambda: any("partner-cdn" in u for u in recorder.third_party), page)
    assert [u for u in recorder.third_party if "partner-cdn" not in u] == []
    with page.expect_response(lambda r: r.url.endswith("/consentgate/consent")):
        page.get_by_role("button", name="Accept all", exact=True).click()
    assert recorder.wait_for(lambda: "analytics" in recorder.categories(), page), recorder.third_party
    violations: list[Any] = page.evaluate("() => window.__violations")
    assert violations == []
