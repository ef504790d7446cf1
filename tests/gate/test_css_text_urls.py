"""CSS that hid a tracker's URL from the gate, through real HTTP: a ``/*`` inside a string or an
unquoted ``url()`` is no comment to CSS (the gate took it for one and skipped to the next ``*/``),
and a backslash is a slash in an http(s) URL (``https:\\\\host``). Chromium 156 loaded each of
these pixels through the gate before (``tests/browser/test_sweep_browser.py``)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.site import GateFactory, client_for

PIXEL = "https://www.facebook.com/tr?id=1"
STYLES = {
    "comment in a string": '.a{content:"/*"}.a{background:url(PIXEL)}.b{content:"*/"}'.replace(
        "PIXEL", PIXEL
    ),
    "comment in a url": ".b{background:url(/*)}.a{background:url(PIXEL)}.c{background:url(*/)}".replace(
        "PIXEL", PIXEL
    ),
    "backslashes": '.a{background:url("https:\\\\\\\\www.facebook.com\\\\tr?id=1")}',
    "escaped comment start": '.a{content:"\\2f*"}.a{background:url(PIXEL)}.b{content:"*/"}'.replace(
        "PIXEL", PIXEL
    ),
}


def _app(body: str) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]}
        )
        await send({"type": "http.response.body", "body": body.encode()})

    return app


async def _rewritten(make_gate: GateFactory, body: str) -> str:
    gate = make_gate(_app(body))
    try:
        async with client_for(gate) as client:
            return (await client.get("/")).text
    finally:
        await gate.aclose()


@pytest.mark.parametrize("css", list(STYLES.values()), ids=list(STYLES))
async def test_a_style_element_that_fetches_a_tracker_is_made_inert(make_gate: GateFactory, css: str) -> None:
    page = await _rewritten(
        make_gate, f"<!doctype html><html><head><style>{css}</style></head><body></body></html>"
    )
    assert '<style type="text/plain" data-cg-category="advertising"' in page


@pytest.mark.parametrize("css", list(STYLES.values()), ids=list(STYLES))
async def test_a_style_attribute_that_fetches_a_tracker_is_renamed(make_gate: GateFactory, css: str) -> None:
    rule = css.replace('"', "&quot;")
    page = await _rewritten(make_gate, f'<!doctype html><body><div style="{rule}">x</div></body>')
    assert "<div data-cg-category" in page and ' data-cg-style="' in page


async def test_a_tracker_named_only_in_a_comment_leaves_the_style_alone(make_gate: GateFactory) -> None:
    body = f'<!doctype html><html><head><style>/* {PIXEL} */ .a{{content:"/*"}}</style></head></html>'
    assert "<style>" in await _rewritten(make_gate, body)


async def test_an_inert_style_that_imports_a_tracker_starts_with_what_stops_the_preload_scanner(
    make_gate: GateFactory,
) -> None:
    # Chromium's preload scanner fetches a <style>'s @import whatever its type; it stops at a '-'.
    css = f'@import "{PIXEL}"; .a{{color:red}}'
    page = await _rewritten(make_gate, f"<!doctype html><html><head><style>{css}</style></head></html>")
    assert f'data-cg-service="meta-pixel">-->{css}</style>' in page
    plain = await _rewritten(
        make_gate, f"<!doctype html><html><head><style>.a{{background:url({PIXEL})}}</style></head></html>"
    )
    assert 'data-cg-service="meta-pixel">.a{' in plain  # (no @import: nothing added)


async def test_css_and_script_in_a_data_url_are_read_for_what_they_load(make_gate: GateFactory) -> None:
    # '@import url(data:text/css;base64,...)' loads the stylesheet it holds, and its url() with it
    # (Chromium 156 fetched the pixel through the gate); a script's import() of a data: URL runs it.
    sheet = base64.b64encode(f'body{{background:url("{PIXEL}")}}'.encode()).decode()
    style = await _rewritten(
        make_gate, f'<!doctype html><html><head><style>@import url("data:text/css;base64,{sheet}");</style>'
    )
    assert '<style type="text/plain" data-cg-category="advertising"' in style
    code = quote(f'navigator.sendBeacon("{PIXEL}")', safe="")
    script = await _rewritten(
        make_gate, f'<!doctype html><script>import("data:text/javascript,{code}")</script>'
    )
    assert '<script type="text/plain" data-cg-category="advertising"' in script
    image = base64.b64encode(
        f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{PIXEL}"/></svg>'.encode()
    )
    shown = f"<!doctype html><html><head><style>a{{background:url(data:image/svg+xml;base64,{image.decode()})}}</style>"
    assert "<style>" in await _rewritten(make_gate, shown)  # (an image loads nothing of its own)


async def test_an_svg_style_that_imports_a_tracker_gets_the_same(make_gate: GateFactory) -> None:
    css = f'@import "{PIXEL}";'
    page = await _rewritten(make_gate, f"<!doctype html><body><svg><style>{css}</style></svg></body>")
    assert f'data-cg-service="meta-pixel">-->{css}</style>' in page


async def test_a_script_whose_data_url_code_names_a_tracker_is_made_inert(make_gate: GateFactory) -> None:
    # Chromium 156 ran <script src="data:...;base64,..."> and sent its beacon through the gate.
    code = base64.b64encode(f'navigator.sendBeacon("{PIXEL}")'.encode()).decode()
    page = await _rewritten(
        make_gate, f'<!doctype html><script src="data:text/javascript;base64,{code}"></script>'
    )
    assert '<script type="text/plain" data-cg-category="advertising"' in page and "data-cg-src=" in page
    harmless = '<!doctype html><script src="data:text/javascript,console.log(1)"></script>'
    assert '<script src="data:text/javascript,console.log(1)"></script>' in await _rewritten(
        make_gate, harmless
    )
