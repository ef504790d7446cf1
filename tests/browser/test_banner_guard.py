"""The guard and activation in real Chromium (marker ``browser``): unknown hosts blocked in the
browser, and one vendor that never answers holding up no other tag.

Third-party requests are recorded and answered by the conftest's local fake, except the hanging
vendor: its host is routed to a real local server that accepts the connection and never answers.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.browser.conftest import SECRET, ContextFactory, Site, _contexts, serve

pytestmark = pytest.mark.browser

LATER = """<!doctype html><html lang="en"><head><title>later</title></head><body><main><h1>Later</h1></main>
<script>window.addEventListener('load', () => {
  // Hosts put together at run time: what the gate's server side cannot read in the page.
  for (const host of [['px', 'nobody-knows'], ['static', 'partner'], ['cdn', 'site-static']]) {
    const s = document.createElement('script');
    s.src = 'https://' + host.join('.') + '.example/tag.js';
    document.head.appendChild(s);
  }
});</script></body></html>"""


PIXEL = """<!doctype html><html lang="en"><head><title>pixel</title></head><body><main><h1>Pixel</h1></main>
<script>window.addEventListener('load', () => {
  // A pixel fired the way tag managers fire one: an image never inserted into the page.
  const pixel = new Image();
  pixel.src = 'https://' + ['www', 'facebook', 'com'].join('.') + '/tr?id=1&ev=PageView';
  const own = new Image();
  own.src = '/own-pixel.gif';
  window.pixels = [pixel, own];
});</script></body></html>"""


def _hanging_server() -> tuple[socket.socket, list[socket.socket]]:
    """A real server on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return listener, held


async def _later(request: Request) -> HTMLResponse:
    return HTMLResponse(LATER)


async def _pixel(request: Request) -> HTMLResponse:
    return HTMLResponse(PIXEL)


async def _slow(request: Request) -> HTMLResponse:
    port = request.app.state.hang_port
    return HTMLResponse(
        f"""<!doctype html><html lang="en"><head><title>slow</title>
<script async src="http://127.0.0.1:{port}/hang.js"></script>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST1"></script>
<script src="https://connect.facebook.net/en_US/fbevents.js"></script>
<script>window.afterClassic = 1;</script>
</head><body><main><h1>Slow vendor</h1>
<img alt="" src="https://www.google-analytics.com/collect?v=2&tid=G-TEST1" width="1" height="1">
</main></body></html>"""
    )


@pytest.fixture(scope="module")
def guard_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, int]]:
    from consentgate import ConsentMiddleware

    listener, held = _hanging_server()
    port = listener.getsockname()[1]
    app = Starlette(routes=[Route("/later", _later), Route("/slow", _slow), Route("/pixel", _pixel)])
    app.state.hang_port = port
    database = f"sqlite:///{tmp_path_factory.mktemp('guard') / 'consentgate.db'}"
    gate = ConsentMiddleware(
        app,
        secret_key=SECRET,
        database=database,
        blocking={"unknown_third_party": "block", "allow_hosts": ["partner.example"]},
        site={"first_party_hosts": ["site-static.example"]},
        services={"slow-vendor": {"name": "Slow vendor", "category": "analytics", "hosts": ["127.0.0.1"]}},
    )
    try:
        with serve(gate) as running:
            yield running, port
    finally:
        listener.close()
        for conn in held:
            conn.close()


@pytest.fixture
def guard_context(browser: Browser, guard_site: tuple[Site, int]) -> Iterator[ContextFactory]:
    yield from _contexts(browser, guard_site[0])


def test_unknown_hosts_inserted_by_page_code_stay_inert_allowed_and_first_party_load(
    guard_context: ContextFactory,
) -> None:
    context, recorder = guard_context()
    page = context.new_page()
    page.goto("/later")
    page.wait_for_function(
        "() => !document.querySelector('[data-cg-pending]') && document.scripts.length >= 3"
    )
    page.wait_for_function("() => document.querySelector('script[data-cg-category=unclassified]')")
    assert recorder.wait_for(lambda: len(recorder.third_party) >= 2, page), recorder.third_party
    page.wait_for_timeout(300)
    loaded = {u.split("/")[2] for u in recorder.third_party}
    assert loaded == {"static.partner.example", "cdn.site-static.example"}, recorder.third_party
    # Accepting everything does not let a host no list knows through.
    with page.expect_response(lambda r: r.url.endswith("/consentgate/consent")):
        page.get_by_role("button", name="Accept all", exact=True).click()
    page.wait_for_timeout(500)
    assert not any("nobody-knows" in u for u in recorder.third_party), recorder.third_party


def test_a_pixel_fired_by_new_image_is_held_though_never_inserted(guard_context: ContextFactory) -> None:
    context, recorder = guard_context()
    page = context.new_page()
    page.goto("/pixel")
    page.wait_for_function("() => window.pixels")
    page.wait_for_timeout(500)
    assert not any("facebook.com" in u for u in recorder.third_party), recorder.third_party
    held, own = page.evaluate(
        "() => window.pixels.map((p) => [p.getAttribute('src'), p.getAttribute('data-cg-src')])"
    )
    assert held == [None, "https://www.facebook.com/tr?id=1&ev=PageView"]
    assert own == ["/own-pixel.gif", None]


def test_one_vendor_that_never_answers_holds_up_no_other_granted_tag(
    guard_context: ContextFactory, guard_site: tuple[Site, int]
) -> None:
    port = guard_site[1]
    context, recorder = guard_context()
    hanging: list[str] = []

    def to_hanging_server(route: Any) -> None:
        hanging.append(route.request.url)
        route.continue_()  # a real connection to a server that never answers

    context.route(f"http://127.0.0.1:{port}/**", to_hanging_server)
    page = context.new_page()
    page.goto("/slow")
    expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()
    assert recorder.third_party == []
    started = page.evaluate("() => performance.now()")
    with page.expect_response(lambda r: r.url.endswith("/consentgate/consent")):
        page.get_by_role("button", name="Accept all", exact=True).click()
    # The other tags start at once although the first script's host never answers.
    assert recorder.wait_for(
        lambda: (
            {"gtag/js", "fbevents.js", "collect"}
            <= {k for k in ("gtag/js", "fbevents.js", "collect") for u in recorder.third_party if k in u}
        ),
        page,
        timeout_ms=3000,
    ), recorder.third_party
    page.wait_for_function("() => window.afterClassic === 1", timeout=3000)
    elapsed = page.evaluate("() => performance.now()") - started
    assert hanging and "hang.js" in hanging[0]
    assert page.evaluate("() => window.afterClassic") == 1
    assert elapsed < 3000
