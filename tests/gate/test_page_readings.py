"""The rewriter reads a page's bytes in the encoding the gate decided for it, over real HTTP (httpx,
the whole middleware around a small ASGI app): a UTF-8 page as UTF-8 (and U+FFFD for a stray byte,
as browsers read it), a Shift_JIS page as Shift_JIS, and a page whose encoding is not known in
every encoding a browser may take. A ``<meta>`` that decides is then named in the response's
``Content-Type``, so that every browser reads the page as the gate did. html5lib judges the page
as a browser decodes it (Python's codecs, not the rewriter's readings)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from tests.support.rewriter import leaks
from tests.support.site import GateFactory, client_for

HOSTS = ("facebook.com", "googletagmanager.com")
FULLWIDTH_DOT = "www.facebook\uff0ecom"
FULLWIDTH = "\uff57\uff57\uff57\uff0e\uff46\uff41\uff43\uff45\uff42\uff4f\uff4f\uff4b\uff0e\uff43\uff4f\uff4d"
LOADERS = [
    '<img src="https://{h}/tr">',
    '<iframe src="//{h}/tr"></iframe>',
    '<div style="background:url(https://{h}/tr)">x</div>',
    "<script>new Image().src = 'https://{h}/tr'</script>",
    "<style>body {{ background: url(https://{h}/tr) }}</style>",
]


def _app(pages: list[tuple[bytes, bytes | None]], pieces: int) -> Callable[..., Any]:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        body, content_type = pages.pop(0)
        headers = [] if content_type is None else [(b"content-type", content_type)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        size = max(1, -(-len(body) // pieces))
        parts = [body[i : i + size] for i in range(0, len(body), size)]
        for i, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < len(parts) - 1})

    return app


async def _get_all(
    make_gate: GateFactory, pages: Sequence[tuple[bytes, bytes | None]], pieces: int = 1
) -> list[httpx.Response]:
    gate = make_gate(_app(list(pages), pieces))
    try:
        async with client_for(gate) as client:
            return [await client.get("/") for _ in pages]
    finally:
        await gate.aclose()


def _as_utf8(page: bytes) -> bytes:
    # (how a browser reads a page the response says is UTF-8: html5lib honours a byte order mark)
    return page if page.startswith(b"\xef\xbb\xbf") else b"\xef\xbb\xbf" + page


def _charset(response: httpx.Response) -> str | None:
    return response.charset_encoding.lower() if response.charset_encoding else None


def _page(meta: str, loader: str, host: str) -> str:
    # (a value that changes on every rendering, so that the memory of segments is in play)
    rows = "".join(f"<p>日本語の文章 {i}</p>\n" for i in range(60))
    return (
        f"<!doctype html><html><head>{meta}<title>t</title></head><body>\n{rows}"
        f'<input type="hidden" name="token" value="{secrets.token_hex(8)}">\n'
        f"{loader.format(h=host)}\n{rows}</body></html>"
    )


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("host", [FULLWIDTH_DOT, FULLWIDTH], ids=["fullwidth-dot", "fullwidth"])
@pytest.mark.parametrize(
    ("meta", "content_type", "bom"),
    [
        ("", b"text/html; charset=utf-8", b""),
        ("<meta charset=utf-8>", b"text/html", b""),
        ('<meta http-equiv="content-type" content="text/html; charset=UTF-8">', None, b""),
        ("", b"text/html", b"\xef\xbb\xbf"),
    ],
    ids=["header", "meta", "meta-sniffed", "bom"],
)
async def test_a_utf8_page_with_a_fullwidth_host_is_gated(
    make_gate: GateFactory, loader: str, host: str, meta: str, content_type: bytes | None, bom: bytes
) -> None:
    # A browser decodes the UTF-8 bytes of U+FF0E and the fullwidth letters, and its URL parser
    # maps them to ASCII: a tracker's host, in the one reading a UTF-8 page gets.
    pages = [(bom + _page(meta, loader, host).encode(), content_type) for _ in range(6)]
    assert leaks(_as_utf8(pages[0][0]), HOSTS, ()), "the page must load a tracker to begin with"
    for response in await _get_all(make_gate, pages):
        assert leaks(_as_utf8(response.content), HOSTS, ()) == []
        # A <meta> that decided is named in the header (the byte order mark needs no word).
        assert _charset(response) == (None if bom else "utf-8")


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("host", [FULLWIDTH_DOT, FULLWIDTH], ids=["fullwidth-dot", "fullwidth"])
@pytest.mark.parametrize(
    "content_type", [b"text/html; charset=shift_jis", b"text/html"], ids=["header", "meta"]
)
@pytest.mark.parametrize("pieces", [1, 9])
async def test_a_shift_jis_page_is_gated_in_its_own_reading(
    make_gate: GateFactory, loader: str, host: str, content_type: bytes, pieces: int
) -> None:
    pages = [
        (_page("<meta charset=shift_jis>", loader, host).encode("cp932"), content_type) for _ in range(4)
    ]
    assert leaks(pages[0][0], HOSTS, ()), "the page must load a tracker to begin with"
    for response in await _get_all(make_gate, pages, pieces):
        assert _charset(response) == "shift_jis"
        assert leaks(response.content, HOSTS, ()) == [] and b"data-cg-" in response.content


async def test_the_same_bytes_are_read_in_the_encoding_each_response_names(make_gate: GateFactory) -> None:
    # Shift_JIS bytes of a fullwidth host: a tracker to a browser that decodes them as Shift_JIS, no
    # host to one that decodes them as UTF-8 (0x81 is no UTF-8 byte), and either when nothing says.
    body = _page("", LOADERS[0], FULLWIDTH_DOT).encode("cp932")
    kinds = [b"text/html; charset=shift_jis", b"text/html; charset=utf-8", b"text/html"] * 4
    responses = await _get_all(make_gate, [(body, kind) for kind in kinds])
    for kind, response in zip(kinds, responses, strict=True):
        gated = b'data-cg-src="https://' in response.content
        assert gated == (not kind.endswith(b"utf-8")), kind
        assert leaks(response.content.decode("cp932").encode(), HOSTS, ()) == [] or not gated
