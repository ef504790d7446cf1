"""XML documents through a real gate in Chromium (marker ``browser``): an XHTML page, an SVG
document, an XML feed styled by XSLT and a malformed XHTML page send no tracker request before the
visitor grants its category; without the gate the same documents do (what made them a bypass)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.browser.conftest import (
    ContextFactory,
    Recorder,
    with_and_without_gate,
)

pytestmark = pytest.mark.browser

X = 'xmlns="http://www.w3.org/1999/xhtml"'
PIXEL = "https://www.facebook.com/tr?id=1"
GTM = "https://www.googletagmanager.com/gtm.js?id=GTM-XML"
_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
DOCUMENTS: dict[str, tuple[str, str | bytes]] = {
    "/page.xhtml": (
        "application/xhtml+xml",
        f'<?xml version="1.0"?><html {X}><head><title>x</title><script src="{GTM}"/>'
        '<script><![CDATA[ if (1 < 2) { new Image().src = "https://www.facebook.com/tr?id=inline"; } ]]></script>'
        f'<link rel="stylesheet" href="{PIXEL}&amp;css"/></head><body><h1>XHTML</h1>'
        f'<img src="{PIXEL}&amp;img"/><img srcset="{PIXEL}&amp;srcset 2x"/><iframe src="{PIXEL}&amp;frame"/>'
        f'<p style="background:url(&quot;{PIXEL}&amp;style&quot;)">p</p><img src="/own.gif"/>'
        # 'Type' and 'REL' are no attributes to Chromium in XML: the script runs, the sheet loads.
        f'<script Type="text/plain" src="{GTM}&amp;Type"/><link REL="nofollow" rel="stylesheet" href="{PIXEL}&amp;REL"/>'
        # A frame whose data: URL is a document with a pixel in it (Chromium loads it).
        f'<iframe src="data:text/html,&lt;img src=&quot;{PIXEL}&amp;amp;dataframe&quot;&gt;"/></body></html>',
    ),
    "/image.svg": (
        "image/svg+xml",
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:l="http://www.w3.org/1999/xlink" width="20" height="20">'
        f'<image href="{PIXEL}&amp;svg" width="1" height="1"/><image l:href="{PIXEL}&amp;xlink" width="1" height="1"/>'
        f'<script href="{GTM}"/><filter id="f"><feImage href="{PIXEL}&amp;fe"/></filter>'
        f'<rect width="5" height="5" filter="url(#f)"/><image id="i" width="1" height="1"><set attributeName="href" to="{PIXEL}&amp;set"/></image>'
        '<image href="/own.gif" width="1" height="1"/></svg>',
    ),
    "/utf16.xhtml": (
        "application/xhtml+xml",
        (
            f'<?xml version="1.0" encoding="UTF-16"?><html {X}><body><p>日本語</p><img src="/own.gif"/>'
            f'<img src="{PIXEL}&amp;utf16"/></body></html>'
        ).encode("utf-16"),
    ),
    "/entity.xhtml": (
        "application/xhtml+xml",
        f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY e \'<img src="{PIXEL}&amp;entity"/>\'>]>'
        f"<html {X}><body>&e;</body></html>",
    ),
    "/feed.xml": (
        "application/xml",
        '<?xml-stylesheet href="/feed.xsl" type="text/xsl"?><feed><item/></feed>',
    ),
    "/broken.xhtml": (
        "application/xhtml+xml",
        f'<html {X}><body><img src="/own.gif"/><img src="{PIXEL}&amp;before"/><p></div><img src="{PIXEL}&amp;after"/></body></html>',
    ),
}
XSL = (
    '<?xml version="1.0"?><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
    f'<xsl:template match="/"><html {X}><body><img src="{PIXEL}&amp;xslt"/></body></html></xsl:template></xsl:stylesheet>'
)


async def _document(request: Request) -> Response:
    media_type, body = DOCUMENTS[request.url.path]
    return Response(body, media_type=media_type)


async def _xsl(request: Request) -> Response:
    return Response(XSL, media_type="text/xsl")


async def _gif(request: Request) -> Response:
    return Response(_GIF, media_type="image/gif")


def _app() -> Starlette:
    routes = [Route(path, _document) for path in DOCUMENTS]
    return Starlette(routes=[*routes, Route("/feed.xsl", _xsl), Route("/own.gif", _gif)])


gated_site, bare_site, gated_context, bare_context = with_and_without_gate(_app, "xml")


def _visit(factory: ContextFactory, path: str, *, scripts: bool = True) -> tuple[Page, Recorder]:
    context, recorder = factory(java_script_enabled=scripts)
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("load")
    page.wait_for_timeout(600)
    return page, recorder


def _bare_loads_trackers(bare: ContextFactory, path: str) -> None:
    """The same document without the gate loads a tracker in this Chromium: the case is real."""
    _page, recorder = _visit(bare, path)
    assert recorder.third_party != []


@pytest.mark.parametrize("scripts", [True, False])
@pytest.mark.parametrize("path", ["/page.xhtml", "/image.svg", "/utf16.xhtml"])
def test_xhtml_and_svg_documents_load_no_tracker_through_the_gate(
    gated_context: ContextFactory, bare_context: ContextFactory, path: str, scripts: bool
) -> None:
    _bare_loads_trackers(bare_context, path)
    page, recorder = _visit(gated_context, path, scripts=scripts)
    assert recorder.third_party == []
    # Still a document Chromium renders (no parser error), whose own image loads.
    assert any(url.endswith("/own.gif") for url in recorder.urls)
    assert page.evaluate("document.getElementsByTagName('parsererror').length") == 0


def test_an_xslt_transform_does_not_run_while_anything_is_refused(
    gated_context: ContextFactory, bare_context: ContextFactory
) -> None:
    _bare_loads_trackers(bare_context, "/feed.xml")  # Chromium 156 still runs XSLT
    _page, recorder = _visit(gated_context, "/feed.xml")
    assert recorder.third_party == []
    assert not any(url.endswith("/feed.xsl") for url in recorder.urls)


def test_a_malformed_document_loads_nothing_past_its_error(
    gated_context: ContextFactory, bare_context: ContextFactory
) -> None:
    _bare_loads_trackers(bare_context, "/broken.xhtml")
    _page, recorder = _visit(gated_context, "/broken.xhtml")
    assert recorder.third_party == []
    assert any(url.endswith("/own.gif") for url in recorder.urls)  # the part before the error renders


def test_a_document_whose_dtd_entity_holds_markup_is_refused(
    gated_context: ContextFactory, bare_context: ContextFactory
) -> None:
    _bare_loads_trackers(bare_context, "/entity.xhtml")  # Chromium expands internal entities
    context, recorder = gated_context()
    response = context.new_page().goto("/entity.xhtml")
    assert response is not None and response.status == 502
    assert recorder.third_party == []
