"""The banner's assets in real Chromium: fetched once, then from the browser's cache (marker ``browser``).

No request routing here: Playwright's routing turns the HTTP cache off, and the cache is what is
tested. Every request that reaches the server is counted by an ASGI wrapper in front of the gate;
nothing leaves the machine (the page's one "third-party" tag is on ``localhost``, the same server
under another host name).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Response, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.responses import Response as PlainResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.browser.conftest import _GIF, SECRET, gated, serve

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="en"><head><title>{title}</title>
<script>window.addEventListener('load', () => {{
  const img = document.createElement('img');
  img.alt = ''; img.src = 'http://localhost:' + location.port + '/pixel.gif';
  document.body.append(img);
}});</script>
</head><body><a href="#main">Skip to content</a><main id="main"><h1>{title}</h1><p>Text.</p></main></body></html>"""


async def _page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=request.url.path.strip("/") or "home"))


async def _pixel(request: Request) -> PlainResponse:
    return PlainResponse(_GIF, media_type="image/gif")


class Counting:
    """Records the path of every request that reaches the server."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Counting]]:
    database = f"sqlite:///{tmp_path_factory.mktemp('assets') / 'consentgate.db'}"
    app = Starlette(routes=[Route("/", _page), Route("/second", _page), Route("/pixel.gif", _pixel)])
    counting = Counting(gated(app, SECRET, database))
    with serve(counting) as running:
        yield running.url, counting


def _assets(paths: list[str]) -> list[str]:
    return [p for p in paths if p.startswith(("/consentgate/assets/", "/consentgate/banner.js"))]


def test_a_second_page_view_downloads_no_banner_asset(
    browser: Browser, counted: tuple[str, Counting]
) -> None:
    url, counting = counted
    context = browser.new_context(base_url=url)
    try:
        page = context.new_page()
        headers: dict[str, str] = {}

        def seen(response: Response) -> None:
            if "/consentgate/" in response.url and "/consentgate/consent" not in response.url:
                headers[response.url.rsplit("/", 1)[-1]] = response.headers.get("cache-control", "")

        page.on("response", seen)
        counting.paths.clear()
        page.goto("/")
        expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()
        # The page's own script inserted a tag of another host: the guard's rules were fetched.
        page.wait_for_function("() => document.querySelector('img') && document.querySelector('img').src")
        page.get_by_role("button", name="Customize", exact=True).click()
        expect(page.get_by_role("dialog", name="Privacy preferences")).to_be_visible()
        first = sorted(p.rsplit("/", 1)[-1] for p in _assets(counting.paths))
        assert first == ["banner.js", "rules.js", "services.json", "texts.en.json"], counting.paths
        assert all(v == "public, max-age=31536000, immutable" for v in headers.values()), headers
        assert set(headers) >= {"rules.js", "services.json", "texts.en.json"}

        counting.paths.clear()
        page.goto("/second")
        expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()
        page.wait_for_function("() => document.querySelector('img') && document.querySelector('img').src")
        page.get_by_role("button", name="Customize", exact=True).click()
        expect(page.get_by_role("dialog", name="Privacy preferences")).to_be_visible()
        assert _assets(counting.paths) == [], counting.paths
        assert "/second" in counting.paths and "/pixel.gif" in counting.paths
    finally:
        context.close()
