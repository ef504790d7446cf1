"""Link and Refresh response headers to a refused tracker, through real HTTP: dropped until the
visitor grants the category, whatever the response's type; the rest of the header kept."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from consentgate.gate.header_loads import gated_header_loads
from consentgate.gate.rewrite import RewritePlan
from tests.support.asgi import body_app
from tests.support.rewriter import TinyCatalog
from tests.support.site import ORIGIN, GateFactory, client_for

GTM = b"<https://www.googletagmanager.com/gtm.js?id=GTM-1>; rel=preload; as=script"
PIXEL = b"<//www.facebook.com/tr?id=1>; rel=prefetch"
OWN = b"</static/site.css>; rel=preload; as=style"
FONTS = b'<https://fonts.example.com>; rel=preconnect; crossorigin="use-credentials, anonymous"'
PAGE = b"<!doctype html><html><head><title>t</title></head><body><p>hello</p></body></html>"


def _app(headers: list[tuple[bytes, bytes]], content_type: bytes = b"text/html; charset=utf-8") -> Any:
    return body_app(PAGE, [(b"content-type", content_type), *headers])


async def _get(
    make_gate: GateFactory,
    headers: list[tuple[bytes, bytes]],
    choice: dict[str, Any] | None = None,
    content_type: bytes = b"text/html; charset=utf-8",
    **config: Any,
) -> httpx.Response:
    gate = make_gate(_app(headers, content_type), **config)
    try:
        async with client_for(gate) as client:
            if choice is not None:
                chosen = await client.post("/consentgate/consent", json=choice, headers={"origin": ORIGIN})
                assert chosen.status_code == 200, chosen.text
            return await client.get("/")
    finally:
        await gate.aclose()


@pytest.mark.parametrize("content_type", [b"text/html; charset=utf-8", b"application/json", b"image/png"])
async def test_links_to_a_refused_tracker_are_dropped_and_the_others_kept_in_order(
    make_gate: GateFactory, content_type: bytes
) -> None:
    value = b", ".join([OWN, GTM, FONTS, PIXEL])
    response = await _get(make_gate, [(b"Link", value), (b"link", GTM)], content_type=content_type)
    assert response.headers.get_list("link") == [(OWN + b", " + FONTS).decode()]


async def test_a_visitor_who_granted_everything_gets_every_link(make_gate: GateFactory) -> None:
    value = b", ".join([OWN, GTM, PIXEL])
    response = await _get(make_gate, [(b"link", value)], {"action": "accept_all"}, mode="per_visitor")
    assert response.headers.get_list("link") == [value.decode()]


async def test_per_visitor_only_the_refused_category_is_dropped(make_gate: GateFactory) -> None:
    choice = {"categories": {"analytics": True, "advertising": False, "social": False}}
    response = await _get(make_gate, [(b"link", b", ".join([GTM, PIXEL]))], choice, mode="per_visitor")
    assert response.headers.get_list("link") == [GTM.decode()]


async def test_a_refresh_to_a_tracker_is_dropped_and_one_to_the_site_kept(make_gate: GateFactory) -> None:
    tracker = await _get(make_gate, [(b"Refresh", b"0; url=https://www.facebook.com/tr?id=1")])
    assert "refresh" not in tracker.headers
    own = await _get(make_gate, [(b"refresh", b"5; url=/next")])
    assert own.headers["refresh"] == "5; url=/next"


def test_a_value_that_does_not_split_into_links_is_dropped_whole_when_it_names_a_tracker() -> None:
    plan = RewritePlan(TinyCatalog())
    blocked = frozenset({"analytics", "advertising"})
    for value in (
        OWN + b', <https://www.facebook.com/tr>; title="unclosed',
        b"<https://www.facebook.com/tr; rel=preload",  # a '<' left open: the URL runs to the end
        OWN + b" <https://www.google-analytics.com/analytics.js>; rel=preload",  # no comma between
    ):
        assert gated_header_loads([(b"link", value)], plan, blocked) == [], value
    harmless = OWN + b', <https://cdn.example.com/x.js>; title="unclosed'
    assert gated_header_loads([(b"link", harmless)], plan, blocked) == [(b"link", harmless)]


def test_what_the_catalog_reads_as_a_tracker_in_an_attribute_it_reads_so_in_a_link() -> None:
    plan = RewritePlan(TinyCatalog())
    blocked = frozenset({"analytics", "advertising"})
    for url in (
        b"HTTPS://WWW.FACEBOOK.COM/tr",
        b"http:www.facebook.com/tr",
        b"\\\\www.facebook.com/tr",
        b" //www.facebook.com/tr ",
    ):
        assert gated_header_loads([(b"link", b"<" + url + b">; rel=preload")], plan, blocked) == [], url
