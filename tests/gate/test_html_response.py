"""The response path (consentgate.html_response) at the ASGI level: which responses are rewritten,
streaming, Content-Length, content codings, and the headers of the two modes."""

from __future__ import annotations

import gzip
import logging
import zlib
from typing import Any

import brotli
import pytest
from starlette.types import Message

from consentgate.config import load_config
from consentgate.consent.model import Consent
from consentgate.gate import codings, html_response
from consentgate.gate.html_response import HtmlRewriting
from consentgate.gate.rewrite import MemoRewriter
from tests.support.asgi import sent_for_get
from tests.support.rewriter import TinyCatalog, fake_injection

PAGE = (
    b"<!doctype html><html><head><title>t</title>"
    b'<script async src="https://www.google-analytics.com/analytics.js"></script></head>'
    b'<body><p>hello</p><img src="https://www.facebook.com/tr?id=1"></body></html>'
)
INERT_GA = b'data-cg-src="https://www.google-analytics.com/analytics.js"'
INERT_PIXEL = b'data-cg-src="https://www.facebook.com/tr?id=1"'


def consent(*granted: str) -> Consent:
    names = ("necessary", "analytics", "advertising", "social")
    return Consent(
        id=None,
        decided=True,
        categories={n: n == "necessary" or n in granted for n in names},
        gpc=False,
        revision=1,
        regime="opt-in",
    )


def gate(mode: str = "uniform", injection: Any = fake_injection) -> HtmlRewriting:
    return HtmlRewriting(load_config(mode=mode), TinyCatalog(), injection)


def start(
    content_type: bytes = b"text/html; charset=utf-8", status: int = 200, **headers: bytes
) -> dict[str, Any]:
    raw = [(b"content-type", content_type)] + [(k.replace("_", "-").encode(), v) for k, v in headers.items()]
    return {"type": "http.response.start", "status": status, "headers": raw}


def body(data: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": more}


async def respond(
    messages: list[dict[str, Any]],
    *,
    g: HtmlRewriting | None = None,
    visitor: Consent | None = None,
    method: str = "GET",
) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: Message) -> None:
        sent.append(dict(message))

    wrapped = (g or gate()).wrap({"type": "http", "method": method}, visitor or consent(), send)
    for message in messages:
        await wrapped(message)
    return sent


def headers_of(message: dict[str, Any]) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in message["headers"]}


def joined(sent: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def test_a_whole_html_body_is_rewritten_and_its_length_corrected() -> None:
    sent = await respond([start(content_length=str(len(PAGE)).encode()), body(PAGE)])
    out = joined(sent)
    assert INERT_GA in out and INERT_PIXEL in out and b"cg-bootstrap" in out
    assert headers_of(sent[0])[b"content-length"] == str(len(out)).encode()
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


async def test_a_streamed_body_stays_streamed() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: Message) -> None:
        sent.append(dict(message))

    wrapped = gate().wrap({"type": "http", "method": "GET"}, consent(), send)
    await wrapped(start(content_length=b"999"))
    assert sent == []  # the start waits for the first body
    await wrapped(body(PAGE[:60], more=True))
    assert len(sent) == 2 and b"content-length" not in headers_of(sent[0])
    before = len(sent)
    await wrapped(body(PAGE[60:130], more=True))
    await wrapped(body(PAGE[130:], more=True))
    assert len(sent) > before  # released as it came, not at the end
    await wrapped(body(b"", more=False))
    assert sent[-1]["more_body"] is False
    assert joined(sent) == joined(await respond([start(), body(PAGE)]))


@pytest.mark.parametrize(
    "messages",
    [
        [start(b"application/json"), body(b'{"a": "<script src=//www.google-analytics.com/x.js>"}')],
        [start(b"text/css"), body(b"a{}")],
        [start(status=204), body(b"")],
        [start(status=304), body(b"")],
        [start(status=206), body(PAGE[:100])],
        [start(content_encoding=b"compress"), body(PAGE)],
        [start(), {"type": "http.response.pathsend", "path": "/srv/page.html"}],
        [start(), body(b"")],
    ],
)
async def test_untouched(messages: list[dict[str, Any]]) -> None:
    assert await respond([dict(m) for m in messages]) == messages


async def test_head_is_answered_with_the_headers_of_get() -> None:
    # The app sends the body anyway (the server drops it): the length is the rewritten page's.
    got = await respond([start(content_length=str(len(PAGE)).encode()), body(PAGE)])
    head = await respond([start(content_length=str(len(PAGE)).encode()), body(PAGE)], method="HEAD")
    assert headers_of(head[0]) == headers_of(got[0])
    assert headers_of(head[0])[b"content-length"] != str(len(PAGE)).encode()
    # Without the body the rewritten length is unknown: no Content-Length rather than a wrong one.
    head = await respond([start(content_length=str(len(PAGE)).encode()), body(b"")], method="HEAD")
    assert b"content-length" not in headers_of(head[0]) and head[1] == body(b"")


def _compress(kind: str, data: bytes) -> bytes:
    if kind == "gzip":
        return gzip.compress(data)
    if kind == "deflate":
        return zlib.compress(data)
    if kind == "raw-deflate":
        c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return c.compress(data) + c.flush()
    out: bytes = brotli.compress(data)
    return out


def _decompress(kind: str, data: bytes) -> bytes:
    if kind == "gzip":
        return gzip.decompress(data)
    if kind == "deflate":
        return zlib.decompress(data)
    if kind == "raw-deflate":
        return zlib.decompress(data, -zlib.MAX_WBITS)
    out: bytes = brotli.decompress(data)
    return out


@pytest.mark.parametrize("kind", ["gzip", "deflate", "raw-deflate", "br"])
@pytest.mark.parametrize("pieces", [1, 7])
async def test_encoded_bodies_are_decoded_rewritten_and_reencoded(kind: str, pieces: int) -> None:
    coding = b"deflate" if kind == "raw-deflate" else kind.encode()
    encoded = _compress(kind, PAGE * 20)
    size = len(encoded) // pieces + 1
    parts = [encoded[i : i + size] for i in range(0, len(encoded), size)]
    messages = [start(content_encoding=coding, content_length=str(len(encoded)).encode())]
    messages += [body(p, more=i < len(parts) - 1) for i, p in enumerate(parts)]
    sent = await respond(messages)
    assert headers_of(sent[0])[b"content-encoding"] == coding
    out = _decompress(kind, joined(sent))
    assert out.count(INERT_GA) == 20 and b"cg-bootstrap" in out
    if pieces == 1:
        assert headers_of(sent[0])[b"content-length"] == str(len(joined(sent))).encode()


async def test_a_gzip_body_in_two_members_decodes_whole() -> None:
    encoded = gzip.compress(PAGE[:100]) + gzip.compress(PAGE[100:])
    sent = await respond([start(content_encoding=b"gzip"), body(encoded)])
    assert gzip.decompress(joined(sent)) == joined(await respond([start(), body(PAGE)]))


async def test_a_body_that_does_not_decode_passes_as_it_came() -> None:
    messages = [start(content_encoding=b"gzip"), body(b"\x1f\x8b this is not gzip at all")]
    assert await respond([dict(m) for m in messages]) == messages


async def test_without_brotli_a_br_body_passes_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(codings, "brotli", None)
    encoded = brotli.compress(PAGE)
    g = gate()
    with caplog.at_level(logging.WARNING, logger="consentgate.html"):
        for _ in range(2):
            messages = [start(content_encoding=b"br"), body(encoded)]
            assert await respond([dict(m) for m in messages], g=g) == messages
    assert len([r for r in caplog.records if "brotli" in r.getMessage()]) == 1
    # Once per gate: the flag is the gate's own, not the process's.
    with caplog.at_level(logging.WARNING, logger="consentgate.html"):
        await respond([start(content_encoding=b"br"), body(encoded)], g=gate())
    assert len([r for r in caplog.records if "brotli" in r.getMessage()]) == 2


async def test_per_visitor_mode_blocks_only_what_was_refused_and_marks_the_page_private() -> None:
    g = gate("per_visitor")
    messages = [start(etag=b'"v1"', cache_control=b"public, max-age=60", vary=b"Accept-Encoding"), body(PAGE)]
    sent = await respond(messages, g=g, visitor=consent("analytics"))
    out = joined(sent)
    assert b'<script async src="https://www.google-analytics.com/analytics.js">' in out
    assert INERT_PIXEL in out
    headers = headers_of(sent[0])
    assert headers[b"vary"] == b"Accept-Encoding, Cookie"
    assert headers[b"cache-control"] == b"private, max-age=60"
    assert b"etag" not in headers
    everything = await respond(
        [start(), body(PAGE)], g=g, visitor=consent("analytics", "advertising", "social")
    )
    assert joined(everything) == PAGE.replace(b"<script async", fake_injection(None) + b"<script async")


async def test_uniform_mode_is_the_same_page_for_everyone() -> None:
    a = await respond([start(etag=b'"v1"'), body(PAGE)], visitor=consent())
    b = await respond(
        [start(etag=b'"v1"'), body(PAGE)], visitor=consent("analytics", "advertising", "social")
    )
    assert joined(a) == joined(b)
    assert b"vary" not in headers_of(a[0]) and headers_of(a[0])[b"etag"] == b'"v1"'


async def test_the_csp_header_nonce_goes_to_the_injection() -> None:
    csp = b"default-src 'self'; script-src 'self' 'nonce-Ab+c/9=' 'strict-dynamic'"
    sent = await respond([start(content_security_policy=csp), body(b"<!doctype html><title>t</title>")])
    assert fake_injection("Ab+c/9=") in joined(sent)


async def test_trailers_follow_the_body() -> None:
    first = start()
    first["trailers"] = True
    trailers = {"type": "http.response.trailers", "headers": [(b"x-checksum", b"1")], "more_trailers": False}
    sent = await respond([first, body(PAGE), trailers])
    assert [m["type"] for m in sent] == [
        "http.response.start",
        "http.response.body",
        "http.response.trailers",
    ]


async def test_pages_that_change_on_every_request_stop_being_kept_whole() -> None:
    # Each body is new (a token, say): after a few misses the gate stops keying and keeping them,
    # tries again one body in 16, and keeps whole bodies again once one is found.
    g = gate("uniform")
    for n in range(100):
        page = PAGE.replace(b"</body>", b"<p>%d</p></body>" % n)
        out = joined(await respond([start(), body(page)], g=g))
        assert b"<p>%d</p>" % n in out
    kept = len(g.pages)
    assert 22 <= kept <= 40  # the first misses, then the probes
    for _ in range(40):  # the same page again and again: a probe finds it, and it is kept
        out = joined(await respond([start(), body(PAGE)], g=g))
    assert g.pages.worth_looking_up()


async def test_a_whole_body_seen_before_is_served_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    real = MemoRewriter

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(html_response, "MemoRewriter", counting)
    g = gate("per_visitor")
    first = joined(await respond([start(), body(PAGE)], g=g))
    assert joined(await respond([start(), body(PAGE)], g=g)) == first
    assert len(built) == 1
    # Another visitor's choice, another nonce, another coding or a streamed body: rewritten anew.
    await respond([start(), body(PAGE)], g=g, visitor=consent("analytics"))
    csp = b"script-src 'nonce-xyz'"
    await respond([start(content_security_policy=csp), body(PAGE)], g=g)
    await respond([start(content_encoding=b"gzip"), body(gzip.compress(PAGE))], g=g)
    await respond([start(), body(PAGE, more=True), body(b"")], g=g)
    assert len(built) == 5


# --- through the gate -------------------------------------------------------------------------------

TRACKED_PAGE = (
    "<!doctype html><html><head><title>t</title>"
    '<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123"></script>'
    "</head><body><p>hi</p>"
    '<iframe src="https://www.youtube.com/embed/x"></iframe></body></html>'
)


def _tracked_site() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response, StreamingResponse
    from starlette.routing import Route

    async def page(request: Request) -> Response:
        return HTMLResponse(TRACKED_PAGE)

    async def streamed(request: Request) -> Response:
        async def parts() -> Any:
            for i in range(0, len(TRACKED_PAGE), 40):
                yield TRACKED_PAGE[i : i + 40]

        return StreamingResponse(parts(), media_type="text/html")

    return Starlette(routes=[Route("/", page), Route("/streamed", streamed)])


async def test_the_gate_rewrites_pages_it_serves(make_gate: Any) -> None:
    from tests.support.site import client_for

    gate_ = make_gate(_tracked_site())
    try:
        async with client_for(gate_) as client:
            for path in ("/", "/streamed"):
                response = await client.get(path)
                text = response.text
                assert 'data-cg-src="https://www.googletagmanager.com/gtag/js?id=G-ABC123"' in text
                assert 'data-cg-src="https://www.youtube.com/embed/x"' in text
                assert text.count('src="/consentgate/banner.js?v=') == 1
                assert text.index("/consentgate/banner.js") < text.index('<script type="text/plain"')
                if path == "/":
                    assert response.headers["content-length"] == str(len(response.content))
                else:
                    assert "content-length" not in response.headers
            head = await client.head("/")
            assert head.status_code == 200 and head.content == b""
    finally:
        await gate_.aclose()


async def test_header_names_in_any_case_are_read_alike() -> None:
    # ASGI apps should send lower-case names; one that does not is read the same way.
    upper = {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"Content-Type", b"Text/HTML; Charset=UTF-8"),
            (b"Content-Length", str(len(PAGE)).encode()),
            (b"Content-Security-Policy", b"script-src 'nonce-abc123'"),
            (b"X-Other", b"kept"),
        ],
    }
    sent = await respond([upper, body(PAGE)])
    out = joined(sent)
    assert INERT_GA in out and b'nonce="abc123"' in out
    names = [name for name, _ in sent[0]["headers"]]
    assert b"Content-Length" not in names and names.count(b"content-length") == 1
    assert headers_of(sent[0])[b"content-length"] == str(len(out)).encode()
    assert headers_of(sent[0])[b"x-other"] == b"kept"
    zipped = {**upper, "headers": [(b"CONTENT-TYPE", b"text/html"), (b"Content-Encoding", b"GZIP")]}
    assert INERT_GA in gzip.decompress(joined(await respond([zipped, body(gzip.compress(PAGE))])))
    other = {**upper, "headers": [(b"Content-Type", b"Application/JSON")]}
    assert await respond([other, body(PAGE)]) == [other, body(PAGE)]


async def test_utf32_is_no_label_so_a_page_that_says_it_is_read_as_browsers_read_it() -> None:
    # No browser knows the label: an ASCII page that names it is read as if it named nothing
    # (it used to pass untouched, its tags live), and a UTF-32 byte order mark is UTF-16LE's.
    sent = await respond([start(b"text/html; charset=utf-32"), body(PAGE)])
    assert INERT_GA in joined(sent)
    sent = await respond([start(b"text/html; charset=utf-32"), body("<p>x</p>".encode("utf-32"))])
    assert joined(sent) == "<p>x</p>".encode("utf-32")


async def test_a_content_type_seen_before_is_read_the_same() -> None:
    # Content-Type values are parsed once and remembered: the second page of each reads alike.
    for _ in range(2):
        assert INERT_GA in joined(await respond([start(b"text/html; charset=utf-8"), body(PAGE)]))
        sent = await respond([start(b"text/html; charset=utf-32"), body("<p>x</p>".encode("utf-32"))])
        assert joined(sent) == "<p>x</p>".encode("utf-32")  # (read as UTF-16LE: no tags in it)
        utf16 = PAGE.decode().encode("utf-16-le")
        out = joined(await respond([start(b"text/html; charset=utf-16le"), body(utf16)]))
        assert INERT_GA.decode() in out.decode("utf-16-le")


async def test_bytearray_headers_are_read_like_bytes() -> None:
    # ASGI servers take any bytes-like header; the gate reads them as it reads bytes.
    message = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(bytearray(b"Content-Type"), bytearray(b"text/html")), (bytearray(b"x-a"), b"1")],
    }
    assert INERT_GA in joined(await respond([message, body(PAGE)]))


async def test_bytearray_headers_pass_the_middleware() -> None:
    from consentgate import ConsentMiddleware

    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(bytearray(b"content-type"), bytearray(b"text/html; charset=utf-8"))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": PAGE})

    gate = ConsentMiddleware(app, secret_key="k" * 32, database="sqlite:///:memory:")
    sent = await sent_for_get(gate)
    assert b'data-cg-src="https://www.google-analytics.com/analytics.js"' in joined(sent)
