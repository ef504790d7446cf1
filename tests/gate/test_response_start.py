"""The middleware's first look at a response's start, through real HTTP: which responses may be HTML
(and so get the rewriter and the state cookie) and which set cookies (and so meet the cookie
filter), whatever the case of the header names and values."""

from __future__ import annotations

from typing import Any

from tests.support.asgi import sent_for_get
from tests.support.site import GateFactory, client_for

PAGE = (
    b"<!doctype html><html><head><title>t</title>"
    b'<script async src="https://www.google-analytics.com/analytics.js"></script></head>'
    b"<body><p>hello</p></body></html>"
)
INERT_GA = b'data-cg-src="https://www.google-analytics.com/analytics.js"'
STATE = "consentgate_state=1.1.necessary-analytics"


def _app(headers: list[tuple[Any, Any]], body: bytes = PAGE) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


async def _get(make_gate: GateFactory, headers: list[tuple[Any, Any]], cookie: str = "") -> Any:
    gate = make_gate(_app(headers))
    try:
        async with client_for(gate) as client:
            return await client.get("/", headers={"cookie": cookie} if cookie else {})
    finally:
        await gate.aclose()


async def test_set_cookie_in_any_case_meets_the_filter_on_a_json_response(make_gate: GateFactory) -> None:
    for name in (b"set-cookie", b"Set-Cookie", b"SET-COOKIE"):
        headers = [(b"content-type", b"application/json"), (name, b"_ga=GA1.1; Path=/"), (name, b"sid=1")]
        response = await _get(make_gate, headers, cookie=STATE)
        assert response.headers.get_list("set-cookie") == ["sid=1"], name  # the state cookie too stays
        assert response.content == PAGE  # not HTML: passed as it came


async def test_html_in_any_case_is_rewritten_and_gets_the_state_cookie_check(make_gate: GateFactory) -> None:
    for name, value in (
        (b"content-type", b"text/html; charset=utf-8"),
        (b"Content-Type", b"TEXT/HTML"),
        (b"CONTENT-TYPE", b"Text/Html; Charset=UTF-8"),
    ):
        response = await _get(make_gate, [(name, value)], cookie=STATE)
        assert INERT_GA in response.content, (name, value)
        assert response.headers.get_list("set-cookie") == [
            "consentgate_state=; Max-Age=0; Path=/; SameSite=Lax"
        ]


async def test_a_type_that_is_not_html_passes_untouched(make_gate: GateFactory) -> None:
    # (image/svg+xml and the other XML document types are read as XML: tests/gate/test_xml_documents.py)
    for value in (b"application/json", b"Application/JSON", b"text/plain; charset=utf-8", b"image/png"):
        response = await _get(make_gate, [(b"content-type", value)], cookie=STATE)
        assert response.content == PAGE, value
        assert "set-cookie" not in response.headers


async def test_no_type_or_several_leave_it_to_the_body(make_gate: GateFactory) -> None:
    for headers in (
        [(b"content-length", str(len(PAGE)).encode())],
        [(b"content-type", b"text/plain"), (b"Content-Type", b"text/html")],
    ):
        response = await _get(make_gate, headers)
        assert INERT_GA in response.content, headers


async def test_other_headers_in_any_case_pass(make_gate: GateFactory) -> None:
    headers = [(b"content-type", b"application/json"), (b"X-Thing", b"1"), (b"Cache-Control", b"no-store")]
    response = await _get(make_gate, headers)
    assert response.headers["x-thing"] == "1" and response.headers["cache-control"] == "no-store"
    assert response.content == PAGE


async def test_bytearray_headers_of_a_json_response_pass(make_gate: GateFactory) -> None:
    # ASGI servers take any bytes-like header; the gate reads them as it reads bytes.
    headers = [
        (bytearray(b"Content-Type"), bytearray(b"application/json")),
        (b"set-cookie", bytearray(b"_ga=1")),
    ]
    sent = await sent_for_get(make_gate(_app(headers)))
    # Only the analytics cookie of an undecided visitor is dropped; the body passes as it came.
    assert sent[0]["headers"] == [(b"Content-Type", b"application/json")]
    assert sent[1]["body"] == PAGE
