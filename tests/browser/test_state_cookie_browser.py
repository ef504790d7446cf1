"""A readable state cookie the server cannot confirm turns nothing on, in real headless Chromium.

The browser (or a script, or a stale key) can hold ``consentgate_state`` claiming every category;
without a valid signed cookie the page that loads deletes it (Set-Cookie from the gate), so the
banner never reads it: no tracker request, and the banner asks (marker ``browser``).
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from consentgate.consent.cookie import CookieCodec, StoredChoice
from tests.browser.conftest import ContextFactory, Site

pytestmark = pytest.mark.browser

ALL = ("necessary", "analytics", "advertising", "social")


def _signed_by_another_key() -> str:
    """A signed cookie granting everything, from a key this gate does not have (a demo restart)."""
    codec = CookieCodec("the-key-of-an-earlier-run", ALL, 182 * 86400)
    return codec.encode(StoredChoice("an-earlier-consent-id", frozenset(ALL), 1, int(time.time())))


@pytest.mark.parametrize("signed", ["none", "another key"])
def test_a_state_cookie_alone_activates_no_tracker(
    make_context: ContextFactory, site: Site, signed: str
) -> None:
    context, recorder = make_context()
    cookies = [{"name": "consentgate_state", "value": "1.1." + "-".join(ALL), "url": site.url}]
    if signed != "none":
        cookies.append({"name": "consentgate", "value": _signed_by_another_key(), "url": site.url})
    context.add_cookies(cookies)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto("/blog/how-call-tracking-works")
    page.wait_for_load_state("load")
    expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()
    page.wait_for_timeout(1500)  # time for anything the banner would have activated to ask
    assert recorder.third_party == []
    assert "consentgate_state" not in {c["name"] for c in context.cookies()}
    assert page.evaluate("() => consentgate.getConsent().decided") is False
