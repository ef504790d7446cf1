"""The UK preset in real headless Chromium (marker ``browser``): the demo site behind a gate that gives
GB visitors ``uk-duaa`` (analytics granted until refused, advertising and social opt-in).

Before any choice analytics loads and advertising does not; "Reject all" (the objection) stops
analytics at once: the page reloads without it. A French visitor gets nothing before a choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from consentgate import ConsentMiddleware
from tests.browser.conftest import SECRET, ContextFactory, Recorder, Site, _contexts, serve

pytestmark = pytest.mark.browser

REGION = {"trusted_headers": ["X-Region"], "regimes": {"GB": "uk-duaa"}}


@pytest.fixture(scope="module")
def uk_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from examples.marketing_site.app import build_site

    database = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'consentgate.db'}"
    gate = ConsentMiddleware(build_site(), secret_key=SECRET, database=database, region=REGION)
    with serve(gate) as running:
        yield running


@pytest.fixture
def uk_context(browser: Browser, uk_site: Site) -> Iterator[ContextFactory]:
    yield from _contexts(browser, uk_site)


def _settle(page: Page, recorder: Recorder, quiet_ms: int = 800, limit_ms: int = 10000) -> None:
    """Waits until the page has made no request for ``quiet_ms``."""
    page.wait_for_load_state("load")
    count, waited, still = len(recorder.urls), 0, 0
    while still < quiet_ms and waited < limit_ms:
        page.wait_for_timeout(100)
        waited += 100
        still = still + 100 if len(recorder.urls) == count else 0
        count = len(recorder.urls)


def _open(factory: ContextFactory, region: str) -> tuple[Page, Recorder]:
    context, recorder = factory(extra_http_headers={"X-Region": region})
    page = context.new_page()
    page.goto("/")
    _settle(page, recorder)
    return page, recorder


def test_uk_analytics_runs_until_the_visitor_objects_advertising_waits_for_consent(
    uk_context: ContextFactory,
) -> None:
    page, recorder = _open(uk_context, "GB")
    expect(page.get_by_role("button", name="Reject all", exact=True)).to_be_visible()  # no choice yet
    before: Any = recorder.categories()
    assert "analytics" in before, recorder.third_party
    assert "advertising" not in before and "social" not in before, recorder.third_party
    state = page.evaluate("() => document.cookie")
    assert "consentgate_state=1.0.necessary-analytics" in state

    recorder.clear()
    with page.expect_navigation():  # analytics ran: objecting reloads the page without it
        page.get_by_role("button", name="Reject all", exact=True).click()
    _settle(page, recorder)
    assert "analytics" not in recorder.categories(), recorder.third_party
    assert recorder.third_party == []
    consent = page.evaluate("() => fetch('/consentgate/consent').then(r => r.json())")
    assert consent["decided"] is True and consent["categories"]["analytics"] is False


def test_a_french_visitor_gets_no_analytics_before_a_choice(uk_context: ContextFactory) -> None:
    page, recorder = _open(uk_context, "FR")
    expect(page.get_by_role("button", name="Reject all", exact=True)).to_be_visible()
    assert recorder.third_party == []
