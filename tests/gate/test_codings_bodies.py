"""Bodies the app sends in odd shapes, through the gate over real HTTP (httpx, the whole middleware):
stacked content codings, UTF-16 with and without a byte order mark, a missing or doubled
Content-Type (sniffed as browsers do, or refused when the site says so), and a body that inflates
a thousandfold in one message, which must come out in bounded pieces."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import httpx
import pytest

from consentgate.errors import ConfigError
from tests.support.asgi import sent_for_get
from tests.support.site import GateFactory, client_for

TRACKER = '<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123"></script>'
INERT = 'data-cg-src="https://www.googletagmanager.com/gtag/js?id=G-ABC123"'
PAGE = (
    f"<!DOCTYPE html><html><head><title>t</title>{TRACKER}</head><body><p>caf\u00e9 \u2603</p></body></html>"
)

Headers = list[tuple[bytes, bytes]]


def _app(body: bytes, headers: Headers, *, pieces: int = 1) -> Callable[..., Any]:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        size = len(body) // pieces + 1
        parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        for i, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < len(parts) - 1})

    return app


async def _raw(make_gate: GateFactory, app: Any, **config: Any) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as the gate sent it (no content decoding by the client)."""
    gate = make_gate(app, **config)
    try:
        async with client_for(gate) as client, client.stream("GET", "/") as response:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
            return response, raw
    finally:
        await gate.aclose()


@pytest.mark.parametrize("pieces", [1, 5])
async def test_stacked_codings_are_undone_in_order_and_done_again(
    make_gate: GateFactory, pieces: int
) -> None:
    # "gzip, br": gzip was applied first, then br; the browser undoes br, then gzip.
    sent = brotli.compress(gzip.compress(PAGE.encode()))
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-encoding", b"gzip, br")]
    response, raw = await _raw(make_gate, _app(sent, headers, pieces=pieces))
    assert response.headers["content-encoding"] == "gzip, br"
    text = gzip.decompress(brotli.decompress(raw)).decode()
    assert INERT in text and TRACKER not in text
    assert "caf\u00e9 \u2603" in text


async def test_codings_in_two_headers_count_as_one_list(make_gate: GateFactory) -> None:
    # Content-Encoding: gzip / Content-Encoding: br is "gzip, br" (RFC 9110 field lines combine).
    sent = brotli.compress(gzip.compress(PAGE.encode()))
    headers = [(b"content-type", b"text/html"), (b"content-encoding", b"gzip"), (b"content-encoding", b"br")]
    _, raw = await _raw(make_gate, _app(sent, headers))
    text = gzip.decompress(brotli.decompress(raw)).decode()
    assert INERT in text and TRACKER not in text


@pytest.mark.parametrize(
    ("encoding", "charset", "bom"),
    [
        ("utf-16-le", b"", b"\xff\xfe"),
        ("utf-16-be", b"", b"\xfe\xff"),
        ("utf-16-le", b"; charset=utf-16", b""),
        ("utf-16-be", b"; charset=UTF-16BE", b""),
        # The byte order mark wins over the label, as in browsers.
        ("utf-16-be", b"; charset=utf-8", b"\xfe\xff"),
    ],
)
@pytest.mark.parametrize("pieces", [1, 7])
async def test_utf16_pages_are_rewritten_and_stay_utf16(
    make_gate: GateFactory, encoding: str, charset: bytes, bom: bytes, pieces: int
) -> None:
    sent = bom + PAGE.encode(encoding)
    headers = [(b"content-type", b"text/html" + charset)]
    _, raw = await _raw(make_gate, _app(sent, headers, pieces=pieces))
    assert raw.startswith(bom)
    text = raw[len(bom) :].decode(encoding, errors="strict")
    assert INERT in text and TRACKER not in text
    assert "caf\u00e9 \u2603" in text and "<script" in text.split("</title>", 1)[1]
    assert len(text) > len(PAGE)  # the banner's tags were added, in UTF-16 too


async def test_a_compressed_utf16_page(make_gate: GateFactory) -> None:
    sent = gzip.compress(b"\xff\xfe" + PAGE.encode("utf-16-le"))
    headers = [(b"content-type", b"text/html"), (b"content-encoding", b"gzip")]
    _, raw = await _raw(make_gate, _app(sent, headers))
    text = gzip.decompress(raw)[2:].decode("utf-16-le")
    assert INERT in text and TRACKER not in text


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"content-type", b"text/plain"), (b"content-type", b"text/html")],
        [(b"content-type", b"application/json"), (b"content-type", b"application/json")],
    ],
    ids=["missing", "doubled-with-html", "doubled-without-html"],
)
@pytest.mark.parametrize("start", ["<!DOCTYPE html>", "\n  <html>", "<script src=x></script>", "<!-- c -->"])
async def test_without_one_content_type_html_is_sniffed_and_rewritten(
    make_gate: GateFactory, headers: Headers, start: str
) -> None:
    sent = (start + PAGE).encode()
    _, raw = await _raw(make_gate, _app(sent, headers))
    assert INERT.encode() in raw and TRACKER.encode() not in raw


@pytest.mark.parametrize(
    "sent",
    [
        b"\x89PNG\r\n\x1a\n" + TRACKER.encode(),
        b'{"html": "' + TRACKER.encode() + b'"}',
        b"hello " + PAGE.encode(),
    ],
)
async def test_without_a_content_type_what_is_not_html_passes_untouched(
    make_gate: GateFactory, sent: bytes
) -> None:
    _, raw = await _raw(make_gate, _app(sent, []))
    assert raw == sent
    # Compressed, too: the sniff looks at the decoded bytes, and nothing of ours goes out.
    _, raw = await _raw(make_gate, _app(gzip.compress(sent), [(b"content-encoding", b"gzip")]))
    assert gzip.decompress(raw) == sent


async def test_the_site_may_refuse_pages_without_one_content_type(make_gate: GateFactory) -> None:
    response, raw = await _raw(make_gate, _app(PAGE.encode(), []), gate={"unknown_content_type": "refuse"})
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/json"
    assert TRACKER.encode() not in raw and b'"error": "unknown_content_type"' in raw
    # One Content-Type still goes through as usual.
    headers = [(b"content-type", b"text/html")]
    response, raw = await _raw(
        make_gate, _app(PAGE.encode(), headers), gate={"unknown_content_type": "refuse"}
    )
    assert response.status_code == 200 and INERT.encode() in raw


def test_the_option_is_checked_at_start_up(make_gate: GateFactory) -> None:
    with pytest.raises(ConfigError, match=r"gate\.unknown_content_type"):
        make_gate(gate={"unknown_content_type": "guess"})


@pytest.mark.parametrize("coding", [b"gzip", b"deflate", b"br"])
async def test_a_big_body_in_one_message_goes_out_in_bounded_pieces(
    make_gate: GateFactory, coding: bytes
) -> None:
    # Text that compresses about 2:1, so that what goes out is megabytes too (a bomb's output is
    # small: its memory is measured on a real server in test_codings_memory.py).
    plain = PAGE.encode() + os.urandom(3 * 512 * 1024).hex().encode()
    if coding == b"gzip":
        sent = gzip.compress(plain, 6)
    elif coding == b"deflate":
        sent = zlib.compress(plain, 6)
    else:
        sent = brotli.compress(plain, quality=5)
    gate = make_gate(_app(sent, [(b"content-type", b"text/html"), (b"content-encoding", coding)]))
    messages = await sent_for_get(gate, headers=[], query_string=b"")
    bodies = [m["body"] for m in messages if m["type"] == "http.response.body"]
    assert len(bodies) > 4 and "content-length" not in dict(messages[0]["headers"])
    assert max(len(b) for b in bodies) < 1024 * 1024
    raw = b"".join(bodies)
    if coding == b"gzip":
        out = gzip.decompress(raw)
    elif coding == b"deflate":
        out = zlib.decompress(raw)
    else:
        out = brotli.decompress(raw)
    assert INERT.encode() in out and out.endswith(plain[-1000:])
