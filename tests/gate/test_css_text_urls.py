"""CSS that hid a tracker's URL from the gate, through real HTTP: a ``/*`` inside a string or an
unquoted ``url()`` is no comment to CSS (the gate took it for one and skipped to the next ``*/``),
and a backslash is a slash in an http(s) URL (``https:\\\\host``). Chromium 156 loaded each of
these pixels through the gate before (``tests/browser/test_sweep_browser.py``)."""

from __future__ import annotations

from typing import Any

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
