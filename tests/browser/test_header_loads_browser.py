"""Link headers through a real gate in Chromium (marker ``browser``): a preload or prefetch header
to a tracker sends no request before the visitor grants its category, and one to the site's own
file still loads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.browser.conftest import SECRET, ContextFactory, Site, _contexts, gated, serve

pytestmark = pytest.mark.browser

LINKS = ", ".join(
    [
        "<https://www.googletagmanager.com/gtm.js?id=GTM-HEAD1>; rel=preload; as=script",
        "<https://www.facebook.com/tr?id=1&ev=head>; rel=preload; as=image",
        "</own.css>; rel=preload; as=style",
    ]
)


async def _page(request: Request) -> HTMLResponse:
    body = (
        "<!doctype html><html lang=en><head><title>linked</title></head><body><h1>Linked</h1></body></html>"
    )
    return HTMLResponse(body, headers={"link": LINKS})


async def _css(request: Request) -> Response:
    return Response("h1{color:teal}", media_type="text/css")


@pytest.fixture(scope="module")
def linked_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    database = f"sqlite:///{tmp_path_factory.mktemp('linked') / 'consentgate.db'}"
    app = Starlette(routes=[Route("/", _page), Route("/own.css", _css)])
    with serve(gated(app, SECRET, database)) as running:
        yield running


@pytest.fixture
def linked_context(browser: Browser, linked_site: Site) -> Iterator[ContextFactory]:
    yield from _contexts(browser, linked_site)


def test_a_link_header_preload_of_a_tracker_sends_no_request(linked_context: ContextFactory) -> None:
    context, recorder = linked_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert recorder.third_party == []
    # The site's own preload in the same header went out: the header reached the browser.
    assert any(url.endswith("/own.css") for url in recorder.urls)
