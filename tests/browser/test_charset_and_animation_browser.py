"""Ways a page loaded a tracker past the rewrite, through a real gate in Chromium (marker
``browser``), scripting on and off: an ISO-2022-JP page, where bytes that read as ``<!--`` are
two kanji; a UTF-16 page that only an XML declaration makes one; SVG animation that sets an
``<image href>`` to a tracker's URL. Each page loads the
pixel without the gate (checked first), and not one request leaves for a tracker with it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.browser.conftest import (
    ContextFactory,
    Site,
    _contexts,
    with_and_without_gate,
)

pytestmark = pytest.mark.browser

PIXEL = "https://www.facebook.com/tr?id=1"
JP = "日本語のページです。"
_JP = JP.encode("iso2022_jp")
#: Two kanji whose bytes are '<!--', then ASCII again: the img is markup to a browser.
_HIDDEN = b"\x1b$B<!--\x1b(B" + f'<img alt="" src="{PIXEL}">-->'.encode()


def _jp(head: bytes) -> bytes:
    return (
        b"<!doctype html><html><head>"
        + head
        + b"<title>jp</title></head><body><p>"
        + _JP
        + b"</p>"
        + _HIDDEN
        + b"</body></html>"
    )


#: path: (Content-Type, body, what document.characterSet must be or None)
PAGES: dict[str, tuple[str, bytes, str | None]] = {
    "/meta": ("text/html", _jp(b"<meta charset=iso-2022-jp>"), "ISO-2022-JP"),
    "/http": ("text/html; charset=iso-2022-jp", _jp(b""), "ISO-2022-JP"),
    "/late-meta": (
        "text/html",
        _jp(b"<title>" + b"x" * 3000 + b"</title><meta charset=iso-2022-jp>"),
        "ISO-2022-JP",
    ),
    "/script-meta": (
        "text/html",
        _jp(b'<script>"<meta charset=utf-8>"</script><meta charset=iso-2022-jp>'),
        "ISO-2022-JP",
    ),
    "/xml-decl": ("text/html", b'<?xml version="1.0" encoding="iso-2022-jp"?>' + _jp(b""), "ISO-2022-JP"),
    "/xml-utf16": (
        "text/html",
        f'<?xml version="1.0"?><html><body><p>{JP}</p><img alt="" src="{PIXEL}"></body></html>'.encode(
            "utf-16-le"
        ),
        "UTF-16LE",
    ),
    "/svg-set": (
        "text/html; charset=utf-8",
        f'<!doctype html><svg><image href="/ok.gif" width="9" height="9"><set attributeName="href" to="{PIXEL}"/></image></svg>'.encode(),
        None,
    ),
    "/svg-animate": (
        "text/html; charset=utf-8",
        f'<!doctype html><svg><image href="/ok.gif" width="9" height="9"><animate attributeName="href" values="/ok.gif;{PIXEL}" dur="0.2s" fill="freeze"/></image></svg>'.encode(),
        None,
    ),
    "/svg-from": (
        "text/html; charset=utf-8",
        f'<!doctype html><svg><image href="/ok.gif"><animate attributeName="href" from="{PIXEL}" to="/ok.gif" dur="1s"/></image></svg>'.encode(),
        None,
    ),
    "/svg-target": (
        "text/html; charset=utf-8",
        f'<!doctype html><svg><image id="i" href="/ok.gif"/><set href="#i" attributeName="href" to="{PIXEL}"/></svg>'.encode(),
        None,
    ),
}
_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


async def _page(request: Request) -> Response:
    if request.url.path == "/ok.gif":
        return Response(_GIF, media_type="image/gif")
    content_type, body, _ = PAGES[request.url.path]
    return Response(body, headers={"content-type": content_type})


def _app() -> Any:
    return Starlette(routes=[Route(path, _page) for path in [*PAGES, "/ok.gif"]])


gated_site, bare_site, gated_context, bare_context = with_and_without_gate(_app, "charset")


def _visit(factory: ContextFactory, path: str, *, javascript: bool) -> tuple[list[str], str | None, str]:
    context, recorder = factory(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)  # (the animations set their value within 0.2 s)
    charset = page.evaluate("document.characterSet") if javascript else None
    text = page.inner_text("body")
    return list(recorder.third_party), charset, text


@pytest.mark.parametrize("path", list(PAGES))
def test_without_the_gate_each_page_loads_the_pixel(bare_context: ContextFactory, path: str) -> None:
    loaded, _, _ = _visit(bare_context, path, javascript=False)
    assert any(url.startswith("https://www.facebook.com/tr") for url in loaded)


@pytest.mark.parametrize("javascript", [True, False], ids=["scripting-on", "scripting-off"])
@pytest.mark.parametrize("path", list(PAGES))
def test_through_the_gate_no_page_loads_it(
    browser: Browser, gated_site: Site, path: str, javascript: bool
) -> None:
    factory = _contexts(browser, gated_site)
    loaded, charset, text = _visit(next(factory), path, javascript=javascript)
    assert loaded == []
    expected = PAGES[path][2]
    if expected is not None:
        assert JP in text  # the page still reads as Japanese
        if javascript:
            assert charset == expected
