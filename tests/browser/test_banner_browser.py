"""The banner in real headless Chromium against the demo site behind the gate (marker ``browser``).

Nothing leaves the machine: third-party requests are answered by a local fake, and recorded.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AXE_JS, NODE_DIR, ContextFactory, Recorder

pytestmark = pytest.mark.browser

POST = "/blog/how-call-tracking-works"
OPTIONAL = {"analytics", "advertising", "social"}
GPC_INIT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"


def _open(make_context: ContextFactory, path: str = POST, **kwargs: Any) -> tuple[Page, Recorder]:
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


def _cookie_names(page: Page) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def _choose(page: Page, name: str) -> None:
    """Clicks a choice button and waits until the gate confirmed it and the banner applied it."""
    page.evaluate(
        "() => { window.__cgChanges = 0; addEventListener('consentgate:change', () => window.__cgChanges++); }"
    )
    with page.expect_response(lambda r: r.url.endswith("/consentgate/consent") and r.request.method != "GET"):
        _button(page, name).click()
    page.wait_for_function("() => window.__cgChanges > 0")


def test_before_any_choice_no_third_party_request_and_no_tracking_cookie(
    make_context: ContextFactory,
) -> None:
    for path in ("/", POST, "/pricing"):
        page, recorder = _open(make_context, path)
        expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()
        _settle(page)
        assert recorder.third_party == [], path
        assert _cookie_names(page) <= {"consentgate", "consentgate_state"}, path
        # The banner speaks Consent Mode: everything denied by default, before any Google tag.
        default = page.evaluate(
            "() => Array.from(dataLayer).find(e => e[0] === 'consent' && e[1] === 'default')[2]"
        )
        assert default["ad_storage"] == default["analytics_storage"] == "denied"


def test_accept_all_brings_analytics_ad_and_social_requests_without_reload(
    make_context: ContextFactory,
) -> None:
    page, recorder = _open(make_context)
    _settle(page)
    assert recorder.third_party == []
    page.evaluate("() => { window.__noReload = true; }")
    _choose(page, "Accept all")
    assert recorder.wait_for(lambda: recorder.categories() >= OPTIONAL, page), recorder.third_party
    assert page.evaluate("() => window.__noReload") is True  # activated in place, not reloaded
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(_button(page, "Privacy choices")).to_be_visible()
    update = page.evaluate("() => Array.from(dataLayer).filter(e => e[1] === 'update').pop()[2]")
    assert update == {
        "analytics_storage": "granted",
        "ad_storage": "granted",
        "ad_user_data": "granted",
        "ad_personalization": "granted",
    }
    assert page.evaluate("() => consentgate.getConsent().decided") is True
    # The next page: the gate serves the tags live, no banner.
    recorder.clear()
    page.goto("/")
    _settle(page)
    assert {"analytics", "advertising"} <= recorder.categories()
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert recorder.errors == []


def test_reject_all_brings_nothing_also_on_the_next_pages(make_context: ContextFactory) -> None:
    page, recorder = _open(make_context)
    _choose(page, "Reject all")
    _settle(page)
    expect(_button(page, "Privacy choices")).to_be_visible()
    for path in ("/", POST, "/pricing"):
        page.goto(path)
        _settle(page)
        expect(page.get_by_role("dialog")).to_be_hidden()
        expect(_button(page, "Privacy choices")).to_be_visible()
    assert recorder.third_party == []
    assert _cookie_names(page) <= {"consentgate", "consentgate_state"}
    state = next(c["value"] for c in page.context.cookies() if c["name"] == "consentgate_state")
    assert state == "1.1.necessary"
    # The persistent control reopens the preferences; Escape closes them and focus comes back.
    _button(page, "Privacy choices").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Privacy preferences")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(_button(page, "Privacy choices")).to_be_focused()


def test_withdrawal_deletes_revoked_cookies_and_reloads(make_context: ContextFactory) -> None:
    page, recorder = _open(make_context)
    _choose(page, "Accept all")
    page.goto(POST)
    _settle(page)
    assert {"analytics", "advertising"} <= recorder.categories()
    page.evaluate(
        "() => { document.cookie = '_ga=GA1.1.1; path=/'; document.cookie = '_ga_CW7K3PX2QD=GS1; path=/';"
        " document.cookie = '_fbp=fb.1.2; path=/'; document.cookie = 'theme=dark; path=/'; }"
    )
    _button(page, "Privacy choices").click()
    expect(page.get_by_role("switch", name="Advertising")).to_be_checked()
    # A revoked script ran on this page: after the gate confirms, the page reloads.
    deleted = page.expect_response(lambda r: r.request.method == "DELETE")
    with page.expect_navigation(), deleted:
        _button(page, "Reject all").click()
    recorder.clear()
    _settle(page)
    assert recorder.third_party == []
    assert _cookie_names(page) == {"consentgate", "consentgate_state", "theme"}
    assert recorder.errors == []


@pytest.mark.parametrize(("category", "label"), [("analytics", "Analytics"), ("social", "Social media")])
def test_customize_grants_exactly_the_chosen_category(
    make_context: ContextFactory, category: str, label: str
) -> None:
    page, recorder = _open(make_context)
    _button(page, "Customize").click()
    dialog = page.get_by_role("dialog", name="Privacy preferences")
    expect(dialog).to_be_visible()
    switches = page.get_by_role("switch")
    assert [switches.nth(i).is_checked() for i in range(switches.count())] == [True, False, False, False]
    expect(page.get_by_role("switch", name="Strictly necessary")).to_be_disabled()
    page.get_by_role("switch", name=label).check()
    _choose(page, "Save choices")
    assert recorder.wait_for(lambda: category in recorder.categories(), page), recorder.third_party
    _settle(page)
    assert recorder.categories() == {category}, recorder.third_party
    recorder.clear()
    page.goto(POST)
    _settle(page)
    assert recorder.categories() == {category}, recorder.third_party


def test_refused_embed_shows_a_placeholder_that_loads_only_that_embed(make_context: ContextFactory) -> None:
    page, recorder = _open(make_context)
    _choose(page, "Reject all")
    load = _button(page, "Load YouTube")
    expect(load).to_be_visible()
    _settle(page)
    assert recorder.third_party == []
    load.click()
    assert recorder.wait_for(lambda: any("youtube" in u for u in recorder.third_party), page)
    _settle(page)
    assert recorder.categories() == {"social"}
    assert all("youtube" in u for u in recorder.third_party), recorder.third_party


def _focused(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """() => { const el = document.activeElement;
          return {text: el.textContent.trim(), role: el.getAttribute('role'), label: el.labels && el.labels[0]
                  ? el.labels[0].textContent : '', inPanel: !!el.closest('.cg-bar')}; }"""
    )
    return result


def _tab_to(page: Page, text: str, *, trapped: bool = False, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if trapped:
            assert focused["inPanel"], f"focus left the dialog: {focused}"
        if focused["text"] == text:
            return
    raise AssertionError(f"{text!r} not reached by Tab")


def test_the_whole_flow_works_by_keyboard_alone(make_context: ContextFactory) -> None:
    page, recorder = _open(make_context)
    expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_focused()
    _tab_to(page, "Customize")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Privacy preferences")).to_be_visible()
    focused = _focused(page)
    assert (focused["role"], focused["label"]) == ("switch", "Analytics")
    page.keyboard.press("Space")
    expect(page.get_by_role("switch", name="Analytics")).to_be_checked()
    # The focus trap: a full round of Tab stays inside the dialog.
    _tab_to(page, "Save choices", trapped=True)
    _tab_to(page, "Save choices", trapped=True)
    # Escape leaves the dialog (back to the first layer while undecided), focus back on the
    # Customize button that opened it.
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()
    expect(_button(page, "Customize")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Privacy preferences")).to_be_visible()
    page.keyboard.press("Space")  # analytics on again (the dialog shows the current state)
    _tab_to(page, "Save choices", trapped=True)
    with page.expect_response(lambda r: r.url.endswith("/consentgate/consent")):
        page.keyboard.press("Enter")
    assert recorder.wait_for(lambda: "analytics" in recorder.categories(), page)
    expect(_button(page, "Privacy choices")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Privacy preferences")).to_be_visible()
    expect(page.get_by_role("switch", name="Analytics")).to_be_checked()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(_button(page, "Privacy choices")).to_be_focused()
    _settle(page)
    assert recorder.categories() == {"analytics"}


def test_with_gpc_advertising_never_loads(make_context: ContextFactory) -> None:
    page, recorder = _open(make_context, extra_http_headers={"Sec-GPC": "1"})
    page.context.add_init_script(GPC_INIT)
    page.reload()
    expect(page.get_by_text("Global Privacy Control signal is honoured")).to_be_visible()
    _choose(page, "Accept all")
    assert recorder.wait_for(lambda: "analytics" in recorder.categories(), page)
    _settle(page)
    page.goto(POST)
    _settle(page)
    assert "advertising" not in recorder.categories(), recorder.third_party
    page.evaluate("() => consentgate.show()")
    expect(page.get_by_role("switch", name="Advertising")).to_be_disabled()
    expect(page.get_by_role("switch", name="Advertising")).not_to_be_checked()


def _axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE_JS))
    result: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run({include: [['.cg-bar'], ['.cg-pc'], ['.cg-ph']]},
             {resultTypes: ['violations']})).violations.map(v => ({id: v.id, impact: v.impact,
             nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_axe_finds_no_serious_or_critical_violation(make_context: ContextFactory) -> None:
    page, _ = _open(make_context, bypass_csp=True)
    expect(page.get_by_role("dialog")).to_be_visible()
    assert _axe(page) == []
    _button(page, "Customize").click()
    page.locator(".cg-bar details").first.evaluate("d => d.open = true")
    assert _axe(page) == []
    _choose(page, "Reject all")
    expect(_button(page, "Load YouTube")).to_be_visible()
    assert _axe(page) == []


def _decode_gpp(gpp: str) -> dict[str, Any]:
    script = (
        "import { GppModel } from '@iabgpp/cmpapi';"
        "const m = new GppModel(process.argv[1]);"
        "console.log(JSON.stringify({header: m.getHeader(), usnat: m.getSection('usnat')}));"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script, gpp],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    decoded: dict[str, Any] = json.loads(out.stdout)
    return decoded


def _gpp_ping(page: Page) -> dict[str, Any]:
    ping: dict[str, Any] = page.evaluate("() => new Promise(r => __gpp('ping', d => r(d)))")
    return ping


@pytest.mark.parametrize(
    ("choice", "opt_out", "gpc"),
    [("Reject all", 1, False), ("Accept all", 2, False), ("Accept all", 1, True)],
)
def test_usnat_string_decodes_with_the_iab_library(
    make_context: ContextFactory, choice: str, opt_out: int, gpc: bool
) -> None:
    kwargs: dict[str, Any] = {"extra_http_headers": {"Sec-GPC": "1"}} if gpc else {}
    context, _ = make_context(**kwargs)
    if gpc:
        context.add_init_script(GPC_INIT)
    page = context.new_page()
    page.goto("/")
    assert _gpp_ping(page)["cmpDisplayStatus"] == "visible"
    _choose(page, choice)
    ping = _gpp_ping(page)
    decoded = _decode_gpp(ping["gppString"])
    assert decoded["header"]["SectionIds"] == [7]
    usnat = decoded["usnat"]
    assert usnat["SaleOptOut"] == usnat["SharingOptOut"] == usnat["TargetedAdvertisingOptOut"] == opt_out
    assert usnat["SaleOptOutNotice"] == usnat["TargetedAdvertisingOptOutNotice"] == 1
    assert usnat["Gpc"] is gpc
    assert usnat == ping["parsedSections"]["usnat"]
    field = page.evaluate("() => new Promise(r => __gpp('getField', d => r(d), 'usnat.SaleOptOut'))")
    assert field == opt_out


def test_banner_causes_no_layout_shift_and_marks_its_timing(make_context: ContextFactory) -> None:
    context, _ = make_context()
    context.add_init_script(
        "window.__shifts = []; new PerformanceObserver(l => l.getEntries().forEach(e => window.__shifts.push("
        "e.sources.map(s => s.node && s.node.closest && !!s.node.closest('.cg-bar,.cg-pc'))))).observe("
        "{type: 'layout-shift', buffered: true});"
    )
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_role("dialog")).to_be_visible()
    _settle(page)
    assert not any(any(s) for s in page.evaluate("() => window.__shifts"))
    marks = page.evaluate("() => performance.getEntriesByType('mark').map(m => m.name)")
    assert {"consentgate:start", "consentgate:shown"} <= set(marks)


def test_tags_inserted_later_by_page_code_wait_for_consent(make_context: ContextFactory) -> None:
    page, recorder = _open(make_context, "/pricing")
    _settle(page)
    # What a tag manager or a single-page app does after load.
    page.evaluate(
        """() => {
          const s = document.createElement('script');
          s.src = 'https://connect.facebook.net/en_US/fbevents.js';
          document.head.appendChild(s);
          const box = document.createElement('div');
          document.body.append(box);
          box.innerHTML = '<iframe src="https://www.youtube.com/embed/late" width="320" height="180"></iframe>';
          const img = document.createElement('img');
          img.setAttribute('src', 'https://www.google-analytics.com/collect?v=1');
          document.body.insertBefore(img, document.body.firstChild);
        }"""
    )
    _settle(page)
    assert recorder.third_party == []
    expect(_button(page, "Load YouTube")).to_be_visible()
    _choose(page, "Accept all")
    assert recorder.wait_for(
        lambda: (
            {"fbevents.js", "embed/late", "collect?v=1"}
            <= {
                key
                for key in ("fbevents.js", "embed/late", "collect?v=1")
                for u in recorder.third_party
                if key in u
            }
        ),
        page,
    ), recorder.third_party


def test_the_banner_keeps_the_page_skip_link_first_for_axe_region(make_context: ContextFactory) -> None:
    page, _ = _open(make_context, bypass_csp=True)
    expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()
    first_link = page.evaluate("() => document.querySelector('a[href]').textContent.trim()")
    assert first_link == "Skip to content"
    page.add_script_tag(path=str(AXE_JS))
    region = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['region']})).violations
             .flatMap(v => v.nodes.map(n => n.target.join(' ')))"""
    )
    assert region == []


def test_a_forged_state_cookie_turns_nothing_on(make_context: ContextFactory, site: Any) -> None:
    """Only the readable state cookie, claiming every category (no signed cookie): no tracker loads."""
    context, recorder = make_context()
    host = site.host.split(":")[0]
    context.add_cookies(
        [
            {
                "name": "consentgate_state",
                "value": "1.1.necessary-analytics-advertising-social",
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    page.goto(POST)
    expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()
    _settle(page)
    assert recorder.third_party == []
    assert page.evaluate("() => consentgate.getConsent().decided") is False
