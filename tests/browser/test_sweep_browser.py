"""Features of Chromium 156 that contacted a tracker through the gate, found by a sweep of the HTML
standard, CSS and Chromium's own headers (marker ``browser``): a ``Speculation-Rules`` header (the
rules' JSON fetched as the page loads), a CSP ``report-uri`` (a violation report posted), CSS whose
``url()`` the gate took for part of a comment (``"/*"`` in a string, ``url(/*)``) or could not read
(``https:\\\\host``). Each page loads the pixel without the gate (checked first), and not one
request leaves for a tracker through it, scripting on or off."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.browser.conftest import (
    SECRET,
    ContextFactory,
    Site,
    _contexts,
    gated,
    serve,
    with_and_without_gate,
)

pytestmark = pytest.mark.browser

PIXEL = "https://www.facebook.com/tr?id=1"
_SHEET = base64.b64encode(f'body{{background:url("{PIXEL}")}}'.encode()).decode()
_OTHER_IMAGE = '<img alt="" src="https://example.org/x.gif">'  # (blocked by img-src 'self': a violation)


def _page(body: str = "", head: str = "") -> str:
    return f"<!doctype html><html><head><title>t</title>{head}</head><body><p>x</p>{body}</body></html>"


def _styled(css: str) -> str:
    return _page('<div class="a">x</div>', f"<style>{css}</style>")


#: path: (response headers, body)
PAGES: dict[str, tuple[dict[str, str], str]] = {
    "/speculation-rules": ({"speculation-rules": f'"{PIXEL}"'}, _page()),
    "/csp-report-uri": (
        {"content-security-policy": f"img-src 'self'; report-uri {PIXEL}"},
        _page(_OTHER_IMAGE),
    ),
    "/csp-report-only": (
        {"content-security-policy-report-only": f"img-src 'self'; report-uri {PIXEL}"},
        _page(_OTHER_IMAGE),
    ),
    "/css-comment-in-string": (
        {},
        _styled('.a{content:"/*"}.a{background:url(PIXEL)}.b{content:"*/"}'.replace("PIXEL", PIXEL)),
    ),
    "/css-comment-in-url": (
        {},
        _styled(
            ".b{background:url(/*)}.a{background:url(PIXEL)}.c{background:url(*/)}".replace("PIXEL", PIXEL)
        ),
    ),
    "/css-backslashes": ({}, _styled('.a{background:url("https:\\\\\\\\www.facebook.com\\\\tr?id=1")}')),
    "/style-import-data-url": ({}, _styled(f'@import url("data:text/css;base64,{_SHEET}");')),
    "/style-attribute-comment": (
        {},
        _page(
            '<div style="content:&quot;/*&quot;;background:url(PIXEL);x:&quot;*/&quot;">x</div>'.replace(
                "PIXEL", PIXEL
            )
        ),
    ),
}


async def _serve(request: Request) -> Response:
    headers, body = PAGES[request.url.path]
    return Response(body, headers={"content-type": "text/html; charset=utf-8", **headers})


def _app() -> Any:
    return Starlette(routes=[Route(path, _serve) for path in PAGES])


gated_site, bare_site, gated_context, bare_context = with_and_without_gate(_app, "sweep")


def _trackers(factory: Iterator[ContextFactory], path: str, *, javascript: bool) -> list[str]:
    context, recorder = next(factory)(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    return [url for url in recorder.third_party if not url.startswith("https://example.org/")]


@pytest.mark.parametrize("path", list(PAGES))
def test_without_the_gate_each_page_contacts_the_tracker(
    browser: Browser, bare_site: Site, path: str
) -> None:
    loaded = _trackers(_contexts(browser, bare_site), path, javascript=False)
    assert any(url.startswith("https://www.facebook.com/tr") for url in loaded)


@pytest.mark.parametrize("javascript", [True, False], ids=["scripting-on", "scripting-off"])
@pytest.mark.parametrize("path", list(PAGES))
def test_through_the_gate_none_does(browser: Browser, gated_site: Site, path: str, javascript: bool) -> None:
    assert _trackers(_contexts(browser, gated_site), path, javascript=javascript) == []


#: A ``<style>`` that imports a tracker: the gate makes it ``type="text/plain"``, but Chromium's
#: preload scanner fetches the ``@import`` of any ``<style>``, whatever its type (HTML and SVG); the
#: inert one starts its text with ``-->`` (where the scanner stops, and which CSS ignores).
IMPORTS = {
    "/style-import": _page(head=f'<style>@import "{PIXEL}";</style>'),
    "/svg-style-import": _page(f'<svg><style>@import "{PIXEL}";</style></svg>'),
    "/link-data-url": _page(head=f'<link rel="stylesheet" href="data:text/css;base64,{_SHEET}">'),
    "/script-data-url": _page(
        '<script src="data:text/javascript;base64,'
        + base64.b64encode(f'navigator.sendBeacon("{PIXEL}")'.encode()).decode()
        + '"></script>'
    ),
}


def _imports() -> Any:
    async def serve_import(request: Request) -> Response:
        return Response(IMPORTS[request.url.path], media_type="text/html")

    return Starlette(routes=[Route(path, serve_import) for path in IMPORTS])


@pytest.mark.parametrize("path", list(IMPORTS))
def test_imports_and_data_urls_send_no_request(browser: Browser, tmp_path: Any, path: str) -> None:
    with serve(_imports()) as bare:
        assert _trackers(_contexts(browser, bare), path, javascript=True)
    with serve(gated(_imports(), SECRET, f"sqlite:///{tmp_path / 'consentgate.db'}")) as site:
        assert _trackers(_contexts(browser, site), path, javascript=True) == []
        context, _ = next(_contexts(browser, site))(java_script_enabled=False)
        page = context.new_page()
        page.goto(path)
        assert page.locator("p").count() == 1  # (the page still renders)
