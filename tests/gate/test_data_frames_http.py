"""An HTML page through the gate over real HTTP (httpx, the whole middleware around a small ASGI app)
whose frames hold ``data:`` URL documents that load a tracker: each frame's URL attribute comes out
renamed, for a visitor who refused; a visitor who granted everything gets the page byte for byte.
What Chromium does with it: tests/browser/test_data_frames_browser.py."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import httpx

from tests.support.asgi import get_after_choice
from tests.support.site import GateFactory

PIXEL_TAG = "<img src=https://www.facebook.com/tr?id=1>"
FRAMES = (
    f'<iframe src="data:text/html,{PIXEL_TAG}"></iframe>'
    f'<iframe src="data:text/html;base64,{base64.b64encode(PIXEL_TAG.encode()).decode()}"></iframe>'
    '<object data="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22><image'
    ' href=%22https://www.facebook.com/tr%22/></svg>"></object>'
    '<embed src="data:text/html,%3Cscript%20src%3D%22https%3A//connect.facebook.net/x.js%22%3E%3C/script%3E">'
)
PAGE = (
    "<!doctype html><html><head><title>frames</title></head><body><h1>Frames</h1>"
    '<img src="data:image/png;base64,iVBORw0KGgo=">' + FRAMES + "</body></html>"
).encode()
_LIVE = re.compile(rb'<(?:iframe|object|embed)[^>]*\s(?:src|data)="data:', re.IGNORECASE)


def _app(body: bytes) -> Callable[..., Any]:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/html; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for i in range(0, len(body), 97):  # in pieces, as a server streams it
            await send({"type": "http.response.body", "body": body[i : i + 97], "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


async def _get(make_gate: GateFactory, choice: dict[str, Any] | None = None) -> httpx.Response:
    return await get_after_choice(make_gate(_app(PAGE), mode="per_visitor"), choice)


async def test_frames_with_a_tracking_data_document_are_inert_through_the_gate(
    make_gate: GateFactory,
) -> None:
    assert len(_LIVE.findall(PAGE)) == 4
    response = await _get(make_gate)
    assert response.status_code == 200
    body = response.content
    assert _LIVE.findall(body) == []
    assert body.count(b'data-cg-src="data:') == 3 and body.count(b'data-cg-data="data:') == 1
    assert b'<img src="data:image/png;base64,iVBORw0KGgo=">' in body  # an image: left alone


async def test_a_visitor_who_granted_everything_gets_the_frames_untouched(make_gate: GateFactory) -> None:
    response = await _get(make_gate, {"action": "accept_all"})
    body = PAGE[PAGE.index(b"<body>") :]
    assert response.content.endswith(body)  # (the banner's tags go into the head)
    assert len(_LIVE.findall(response.content)) == 4
