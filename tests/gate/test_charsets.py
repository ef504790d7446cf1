"""Pages in encodings that are not ASCII-compatible, through the gate over real HTTP (httpx, the
whole middleware around a small ASGI app). The judge decodes what the gate sent the way the
response tells a browser to (Python's own codecs, not the gate's), then html5lib reads the page
with scripting on and off: nothing of a refused category may load.

ISO-2022-JP is the case that mattered: between ``ESC $ B`` and ``ESC ( B`` bytes are pairs that
each make one JIS character, so ``<!--`` there is two kanji, and what the rewriter took for a
comment was live markup to a browser (Chromium loaded the pixel:
tests/browser/test_charset_and_animation_browser.py)."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest

from tests.support.asgi import body_app, get_after_choice
from tests.support.rewriter import leaks
from tests.support.site import GateFactory

PIXEL = "https://www.facebook.com/tr?id=1"
GTM = "https://www.googletagmanager.com/gtm.js?id=GTM-1"
HOSTS = ("facebook.com", "googletagmanager.com")
JP = "日本語のページです。"
#: Two kanji whose bytes are '<!--' (0x3C21 and 0x2D2D), then ASCII: the img is live markup.
HIDDEN = b"\x1b$B<!--\x1b(B" + f'<img src="{PIXEL}">-->'.encode()


async def _get(make_gate: GateFactory, body: bytes, content_type: bytes | None, **kw: Any) -> httpx.Response:
    headers = [] if content_type is None else [(b"content-type", content_type)]
    headers += kw.pop("extra", [])
    return await get_after_choice(make_gate(body_app(body, headers, pieces=kw.pop("pieces", 1))))


def _charset(response: httpx.Response) -> str | None:
    return response.charset_encoding.lower() if response.charset_encoding else None


def _jp_page(head: bytes, tracker: bytes = HIDDEN) -> bytes:
    return (
        b"<!doctype html><html><head>" + head + b"<title>t</title></head><body><p>"
        + JP.encode("iso2022_jp") + b"</p>" + tracker + b"<p>" + JP.encode("iso2022_jp") + b"</p></body></html>"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"<meta charset=iso-2022-jp>", b"text/html"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-2022-JP">', b"text/html"),
        (b"<meta charset=csISO2022JP>", None),
        (b"", b"text/html; charset=iso-2022-jp"),
        (b"", b'text/html; charset="ISO-2022-JP"'),
        # Chromium reads on past 1024 bytes while only head elements came, and skips script text.
        (b"<title>" + b"x" * 3000 + b"</title><meta charset=iso-2022-jp>", b"text/html"),
        (b'<script>"<meta charset=utf-8>"</script><meta charset=iso-2022-jp>', b"text/html"),
    ],
)
@pytest.mark.parametrize("pieces", [1, 9, 400])
async def test_an_iso_2022_jp_page_is_rewritten_as_browsers_decode_it(
    make_gate: GateFactory, head: bytes, content_type: bytes | None, pieces: int
) -> None:
    page = _jp_page(head)
    assert leaks(page.decode("iso2022_jp", "replace").encode(), HOSTS, ()), (
        "the page must load the pixel to begin with"
    )
    response = await _get(make_gate, page, content_type, pieces=pieces)
    # The response says how it is to be decoded (a browser decodes it so, whatever the page says).
    assert _charset(response) == "iso-2022-jp"
    text = response.content.decode("iso2022_jp", "replace")
    assert leaks(text.encode(), HOSTS, ()) == []
    assert text.count(JP) == 2 and "data-cg-src" in text


async def test_an_iso_2022_jp_page_compressed_and_in_every_state(make_gate: GateFactory) -> None:
    # Roman (ESC ( J: 0x5C is a yen sign) and half-width katakana (ESC ( I) come back as they were.
    tracker = HIDDEN + b"\x1b(J\\~\x1b(I1\x1b(B" + f'<script src="{GTM}"></script>'.encode()
    page = _jp_page(b"", tracker)
    headers = [(b"content-encoding", b"gzip")]
    response = await _get(make_gate, gzip.compress(page), b"text/html; charset=iso-2022-jp", extra=headers)
    text = response.content.decode("iso2022_jp_ext", "replace")  # (httpx undid the gzip)
    assert leaks(text.encode(), HOSTS, ()) == []
    assert "\u00a5\u203e\uff71" in text and text.count(JP) == 2


async def test_the_rewrite_of_an_iso_2022_jp_page_is_read_as_the_rewriter_read_it(
    make_gate: GateFactory,
) -> None:
    # A clean page is untouched but for the banner: the same characters, in the same encoding.
    page = _jp_page(b"<meta charset=iso-2022-jp>", b"<p>\x1b$B$3$s$K$A$O\x1b(B</p>")
    response = await _get(make_gate, page, b"text/html")
    text = response.content.decode("iso2022_jp", "replace")
    assert text.replace(text[text.index("<script") : text.rindex("</script>") + 9], "") == page.decode(
        "iso2022_jp"
    )


@pytest.mark.parametrize(
    "content_type",
    [
        b"text/html",  # no declaration at all: a browser's default or its detector decides
        b"text/html; charset = iso-2022-jp",  # no charset parameter to a browser (Chromium ignores it)
        b"text/html; charset=utf-32",  # no label
    ],
)
async def test_escapes_cannot_switch_a_page_the_gate_reads_as_ascii(
    make_gate: GateFactory, content_type: bytes
) -> None:
    # Read as ASCII-compatible, but a detector (or a meta the gate did not see) could pick
    # ISO-2022-JP: the switching escapes lose their ESC, so every reading is the rewriter's.
    page = b"<!doctype html><p>x</p>" + HIDDEN
    response = await _get(make_gate, page, content_type, pieces=3)
    assert b"\x1b" not in response.content
    for encoding in ("iso2022_jp", "cp1252", "utf-8"):
        assert leaks(response.content.decode(encoding, "replace").encode(), HOSTS, ()) == []
    assert response.headers["content-type"] == content_type.decode()  # nothing to name


async def test_a_page_that_names_utf16_in_itself_is_utf8(make_gate: GateFactory) -> None:
    # Browsers ignore a <meta> that says UTF-16 (the page could not have been read to find it).
    page = f'<!doctype html><meta charset=utf-16le><img src="{PIXEL}">'.encode()
    response = await _get(make_gate, page, b"text/html")
    assert leaks(response.content, HOSTS, ()) == [] and b"data-cg-src" in response.content


@pytest.mark.parametrize(
    "label", [b"iso-2022-kr", b"csiso2022kr", b"hz-gb-2312", b"iso-2022-cn", b"replacement"]
)
@pytest.mark.parametrize("where", ["http", "meta"])
async def test_replacement_labels_are_rewritten_as_ascii(
    make_gate: GateFactory, label: bytes, where: str
) -> None:
    # A browser decodes such a page to one U+FFFD (nothing loads); were it read otherwise, it is
    # rewritten as an ASCII-compatible page all the same.
    meta = b"<meta charset=" + label + b">" if where == "meta" else b""
    page = b"<!doctype html>" + meta + f'<img src="{PIXEL}">'.encode()
    response = await _get(
        make_gate, page, b"text/html; charset=" + label if where == "http" else b"text/html"
    )
    assert leaks(response.content, HOSTS, ()) == [] and b"data-cg-src" in response.content


@pytest.mark.parametrize("size", [1, 3])
async def test_a_byte_order_mark_split_across_messages(make_gate: GateFactory, size: int) -> None:
    # The first message may hold one byte of the mark: the gate waits for the next.
    page = b"\xff\xfe" + f'<!doctype html><img src="{PIXEL}">'.encode("utf-16-le")
    response = await _get(make_gate, page, b"text/html; charset=utf-8", pieces=len(page) // size)
    assert leaks(response.content[2:].decode("utf-16-le").encode(), HOSTS, ()) == []


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
async def test_an_xml_declaration_in_utf16_makes_a_utf16_page(make_gate: GateFactory, encoding: str) -> None:
    # Chromium reads a page that starts with '<?xml' written in UTF-16 as UTF-16, without a byte
    # order mark or a charset: its tags are tags (the rewriter saw NULs between the bytes).
    page = f'<?xml version="1.0"?><html><body><img src="{PIXEL}"></body></html>'.encode(encoding)
    response = await _get(make_gate, page, b"text/html", pieces=3)
    assert _charset(response) == encoding.replace("-le", "le").replace("-be", "be")
    assert leaks(response.content.decode(encoding).encode(), HOSTS, ()) == []


async def test_an_xml_declaration_names_the_encoding_when_no_meta_does(make_gate: GateFactory) -> None:
    # Chromium honours <?xml ... encoding="..."?> at the very start of an HTML page too.
    page = b'<?xml version="1.0" encoding="iso-2022-jp"?>' + _jp_page(b"")
    response = await _get(make_gate, page, b"text/html")
    assert _charset(response) == "iso-2022-jp"
    text = response.content.decode("iso2022_jp", "replace")
    assert leaks(text.encode(), HOSTS, ()) == [] and text.count(JP) == 2
    # A meta that says otherwise wins over it (Chromium's order): read as it is, and the header
    # names it, so that no browser reads the page as ISO-2022-JP.
    page = b'<?xml version="1.0" encoding="iso-2022-jp"?>' + _jp_page(b"<meta charset=utf-8>")
    response = await _get(make_gate, page, b"text/html")
    assert _charset(response) == "utf-8"
