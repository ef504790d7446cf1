"""Pages whose tracker tags are longer than 64 KB, through the whole middleware over real HTTP
(httpx's ASGI transport, the app streaming the body in pieces of 64 KB): each tag comes out inert
for a visitor who refused (read by html5lib, scripting on and off), a visitor who granted
everything gets the page byte for byte, and a tag that would make the gate hold more than 8 MB
ends the page before it. Once such a tag passed unchanged."""

from __future__ import annotations

import pytest

from tests.support.asgi import body_app, get_after_choice
from tests.support.rewriter import leaks
from tests.support.site import GateFactory

FILLER = "a" * 70_000
PIXEL = "https://www.facebook.com/tr?id=1"
GTM = "https://www.googletagmanager.com/gtm.js"
TAGS = {
    "img": f'<img data-x="{FILLER}" src="{PIXEL}">',
    "img, filler after": f'<img src="{PIXEL}" data-x="{FILLER}">',
    "script": f'<script data-x="{FILLER}" src={GTM}></script>',
    "iframe": f'<iframe data-x="{FILLER}" src="https://www.youtube.com/embed/x"></iframe>',
    "link preload": f'<link rel=preload as=script data-x="{FILLER}" href="{GTM}">',
    "link stylesheet": f'<link rel=stylesheet data-x="{FILLER}" href="https://connect.facebook.net/x.css">',
    "source": f'<picture><source data-x="{FILLER}" srcset="{PIXEL} 1x"><img src=/a.png></picture>',
    "noscript": f'<noscript><img data-x="{FILLER}" src="{PIXEL}"></noscript>',
}
HOSTS = ("facebook.com", "facebook.net", "googletagmanager.com", "youtube.com")
HEADERS = [(b"content-type", b"text/html; charset=utf-8")]


def _page(tag: str) -> bytes:
    return f"<!doctype html><html><head><title>t</title></head><body><p>before</p>{tag}<p>after</p></body></html>".encode()


@pytest.mark.parametrize("name", list(TAGS))
async def test_a_tag_over_64_kb_is_inert_through_the_gate(make_gate: GateFactory, name: str) -> None:
    page = _page(TAGS[name])
    assert leaks(page, HOSTS, ()) != []
    gate = make_gate(body_app(page, HEADERS, pieces=len(page) // 65536 + 1), mode="per_visitor")
    response = await get_after_choice(gate)
    assert response.status_code == 200
    assert leaks(response.content, HOSTS, ()) == []
    assert response.content.endswith(b"<p>after</p></body></html>")


async def test_a_visitor_who_granted_everything_gets_the_big_tags_untouched(make_gate: GateFactory) -> None:
    page = _page("".join(TAGS.values()))
    gate = make_gate(body_app(page, HEADERS, pieces=len(page) // 65536 + 1), mode="per_visitor")
    response = await get_after_choice(gate, {"action": "accept_all"})
    assert response.content.endswith(page[page.index(b"<body>") :])


async def test_a_data_frame_over_64_kb_holding_a_tracker_is_inert(make_gate: GateFactory) -> None:
    page = _page(f'<iframe src="data:text/html,<p>{FILLER}</p><img src={PIXEL}>"></iframe>')
    gate = make_gate(body_app(page, HEADERS, pieces=3), mode="per_visitor")
    body = (await get_after_choice(gate)).content
    assert body.count(b'data-cg-src="data:') == 1 and b' src="data:' not in body


async def test_a_tag_over_8_mb_ends_the_page_before_it(make_gate: GateFactory) -> None:
    page = _page(f'<img data-x="{"b" * (9 * 1024 * 1024)}" src="{PIXEL}">')
    gate = make_gate(body_app(page, HEADERS, pieces=len(page) // 65536 + 1), mode="per_visitor")
    response = await get_after_choice(gate)
    body = response.content
    assert body.endswith(b"<p>before</p>") and len(body) < 100_000
    assert PIXEL.encode() not in body
