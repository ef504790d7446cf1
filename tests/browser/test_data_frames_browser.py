"""Frames whose ``data:`` URL is a document of its own, through a real gate in Chromium (marker
``browser``): an HTML page with such an ``<iframe>`` (percent-encoded and base64), ``<object>``
(SVG, and HTML under a ``type=`` that says otherwise), ``<embed>``, a frame in SVG foreign content,
and a frameset page, sends no tracker request before the visitor grants its category; without the
gate the same pages do (what made them a bypass)."""

from __future__ import annotations

import base64

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.browser.conftest import (
    ContextFactory,
    Recorder,
    with_and_without_gate,
)

pytestmark = pytest.mark.browser

PIXEL = "https://www.facebook.com/tr?id="
_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


_SVG = (
    "<svg xmlns=%22http://www.w3.org/2000/svg%22><image href=%22"
    + PIXEL
    + "svg%22 width=%221%22 height=%221%22/></svg>"
)
FRAMES = (
    f'<iframe src="data:text/html,<img src={PIXEL}percent>"></iframe>'
    f'<iframe src="data:text/html;base64,{_b64(f"<img src={PIXEL}base64>")}"></iframe>'
    f'<object data="data:image/svg+xml,{_SVG}"></object>'
    f'<object type="image/png" data="data:text/html;base64,{_b64(f"<img src={PIXEL}objecttype>")}"></object>'
    '<embed src="data:text/html,%3Cscript%20src%3D%22https%3A//connect.facebook.net/en_US/fbevents.js%22%3E%3C/script%3E">'
    f'<svg><foreignObject><iframe src="data:text/html;base64,{_b64(f"<img src={PIXEL}foreign>")}"></iframe></foreignObject></svg>'
    f"<iframe src=\"data:text/html,<iframe src='data:text/html;base64,{_b64(f'<img src={PIXEL}nested>')}'></iframe>\"></iframe>"
)
#: A data: style sheet and script where the rewriter reads markup exactly: HTML in SVG's
#: foreignObject (a link and a script of HTML there), and a noscript read as markup (scripting off).
EXACT = (
    '<svg><foreignObject><link rel="stylesheet" href="data:text/css;base64,'
    + _b64(f"@import url({PIXEL}fosheet);")
    + '"><script src="data:text/javascript,new%20Image().src=%22'
    + PIXEL
    + 'foscript%22"></script></foreignObject></svg>'
    '<noscript><link rel="stylesheet" href="data:text/css;base64,'
    + _b64(f"@import url({PIXEL}noscriptsheet);")
    + '"></noscript>'
)
PAGES = {
    "/frames": "<!doctype html><html><head><title>frames</title></head><body><h1>Frames</h1>"
    '<img src="/own.gif">' + FRAMES + "</body></html>",
    "/frameset": "<!doctype html><html><head><title>frameset</title></head><frameset>"
    f'<frame src="data:text/html;base64,{_b64(f"<img src={PIXEL}frameset>")}"><frame src="/own.gif"></frameset></html>',
    "/exact": "<!doctype html><html><head><title>exact</title></head><body><h1>Exact</h1>"
    '<img src="/own.gif">' + EXACT + "</body></html>",
}


async def _page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGES[request.url.path])


async def _gif(request: Request) -> Response:
    return Response(_GIF, media_type="image/gif")


def _app() -> Starlette:
    return Starlette(routes=[*(Route(path, _page) for path in PAGES), Route("/own.gif", _gif)])


gated_site, bare_site, gated_context, bare_context = with_and_without_gate(_app, "frames")


def _visit(factory: ContextFactory, path: str, *, scripts: bool = True) -> Recorder:
    context, recorder = factory(java_script_enabled=scripts)
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("load")
    page.wait_for_timeout(800)
    return recorder


@pytest.mark.parametrize("scripts", [True, False])
@pytest.mark.parametrize("path", list(PAGES))
def test_data_url_frames_load_no_tracker_through_the_gate(
    gated_context: ContextFactory, bare_context: ContextFactory, path: str, scripts: bool
) -> None:
    bare = _visit(bare_context, path, scripts=scripts)
    assert bare.third_party != []  # the case is real in this Chromium
    gated_visit = _visit(gated_context, path, scripts=scripts)
    assert gated_visit.third_party == []
    assert any(url.endswith("/own.gif") for url in gated_visit.urls)  # the page itself still renders


def test_every_frame_of_the_page_loads_its_tracker_without_the_gate(
    bare_context: ContextFactory,
) -> None:
    """Each form above is one Chromium renders as a document (so each is worth its rename)."""
    loaded = " ".join(_visit(bare_context, "/frames").third_party)
    for marker in ("percent", "base64", "svg", "objecttype", "fbevents.js", "foreign", "nested"):
        assert marker in loaded, marker


@pytest.mark.parametrize(
    ("scripts", "markers"), [(True, ("fosheet", "foscript")), (False, ("fosheet", "noscriptsheet"))]
)
def test_each_data_sheet_and_script_read_exactly_loads_without_the_gate(
    bare_context: ContextFactory, scripts: bool, markers: tuple[str, ...]
) -> None:
    loaded = " ".join(_visit(bare_context, "/exact", scripts=scripts).third_party)
    for marker in markers:
        assert marker in loaded, marker
