"""XML documents through the gate over real HTTP (httpx, the whole middleware around a small ASGI
app): XHTML, SVG and plain XML a browser renders must load no tracker of a refused category.

The judge here is independent of the rewrite: expat (namespace-aware) reads what the gate sent,
and every XHTML or SVG element attribute, inline script, style and ``<?xml-stylesheet?>`` still
live is looked at for the trackers' hosts and snippets. What Chromium does with each case is in
tests/browser/test_xml_browser.py and docs/gate.md.
"""

from __future__ import annotations

import base64
import gzip
import html
import xml.parsers.expat as expat
import zlib
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.support.asgi import Headers, body_app, get_after_choice
from tests.support.site import GateFactory, client_for

XHTML = "http://www.w3.org/1999/xhtml"
SVG = "http://www.w3.org/2000/svg"
X = f'xmlns="{XHTML}"'
PIXEL = "https://www.facebook.com/tr?id=1"
GTM = "https://www.googletagmanager.com/gtm.js?id=GTM-1"
TRACKERS = ("facebook.com", "googletagmanager.com", "youtube.com", "fbq(", "gtag(")
PAGE = (
    f'<?xml version="1.0"?><html {X}><head><title>t</title><script src="{GTM}"/></head>'
    f'<body><p>hello</p><img src="{PIXEL}"/></body></html>'
)
SVG_DOC = (
    f'<svg xmlns="{SVG}" xmlns:l="http://www.w3.org/1999/xlink" width="10" height="10">'
    f'<image href="{PIXEL}&amp;a=1" width="1" height="1"/><image l:href="{PIXEL}&amp;a=2"/>'
    f'<script href="{GTM}"/><filter id="f"><feImage href="{PIXEL}&amp;a=3"/></filter>'
    f'<use href="{PIXEL}&amp;a=4#x"/><image id="i"><set attributeName="href" to="{PIXEL}&amp;a=5"/></image>'
    f'<animate href="#i" attributeName="href" values="/a.png;{PIXEL}&amp;a=6"/></svg>'
)


async def _get(
    make_gate: GateFactory,
    body: bytes | str,
    content_type: bytes | None = b"application/xhtml+xml",
    *,
    choice: dict[str, Any] | None = None,
    pieces: int = 1,
    extra: Headers = (),  # type: ignore[assignment]
    **config: Any,
) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    headers = ([] if content_type is None else [(b"content-type", content_type)]) + list(extra)
    return await get_after_choice(make_gate(body_app(data, headers, pieces=pieces), **config), choice)


def live(document: bytes) -> list[str]:
    """What in ``document`` would still load or run a tracker, read with expat as a browser's XML
    parser reads it (a document that is not well-formed fails the test)."""
    found: list[str] = []
    texts: list[list[str]] = []
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.ordered_attributes = True

    def start(name: str, attrs: list[str]) -> None:
        uri, _, local = name.rpartition(" ")
        pairs = dict(zip(attrs[::2], attrs[1::2], strict=True))
        if uri in (XHTML, SVG):
            inert = pairs.get("type") == "text/plain"
            for attr, value in pairs.items():
                loads = not attr.startswith("data-cg-") and not attr.endswith(" data-cg-href")
                if loads and attr not in ("xmlns", "id") and any(t in value for t in TRACKERS):
                    found.append(f"<{local} {attr}={value!r}>")
            texts.append([local, "inert" if inert else "live"])
        else:
            texts.append([local, "other"])

    def text(data: str) -> None:
        if texts and texts[-1][0] in ("script", "style") and texts[-1][1] == "live":
            texts[-1].append(data)

    def end(name: str) -> None:
        entry = texts.pop()
        body = "".join(entry[2:])
        if any(t in body for t in TRACKERS):
            found.append(f"<{entry[0]}>{body}")

    def instruction(target: str, data: str) -> None:
        if target == "xml-stylesheet" and " href=" in " " + data and any(t in data for t in TRACKERS):
            found.append(f"<?{target} {data}?>")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ProcessingInstructionHandler = instruction
    parser.Parse(document, True)
    return found


def _inert(response: httpx.Response) -> bytes:
    assert response.status_code == 200, response.text
    assert live(response.content) == []
    return response.content


@pytest.mark.parametrize(
    "content_type",
    [
        b"application/xhtml+xml",
        b"application/xhtml+xml; charset=utf-8",
        b"image/svg+xml",
        b"application/xml",
        b"text/xml",
        b"text/xsl",
        b"application/foo+xml",
        b"Application/XHTML+XML",
    ],
)
async def test_every_xml_document_type_has_its_trackers_made_inert(
    make_gate: GateFactory, content_type: bytes
) -> None:
    assert live(PAGE.encode()) != []
    out = _inert(await _get(make_gate, PAGE, content_type))
    assert b'data-cg-src="' + PIXEL.encode() in out
    assert b'<script type="text/plain" data-cg-category="analytics"' in out


async def test_an_svg_document_has_its_loaders_made_inert(make_gate: GateFactory) -> None:
    assert len(live(SVG_DOC.encode())) == 7
    out = _inert(await _get(make_gate, SVG_DOC, b"image/svg+xml"))
    assert b"l:data-cg-href=" in out  # inside its prefix: 'data-cg-l:href' would be an unbound prefix
    assert b' values="/a.png;' not in out


@pytest.mark.parametrize(
    "markup",
    [
        f'<script src="{GTM}" type="module"/>',
        f'<img srcset="/a.png 1x, {PIXEL} 2x"/>',
        '<iframe src="https://www.youtube.com/embed/x"/>',
        f'<link rel="stylesheet" href="{PIXEL}"/>',
        f'<link rel="preload" as="script" href="{GTM}"/>',
        f'<p style="background:url(&quot;{PIXEL}&quot;)">x</p>',
        '<style>@import url("https://www.facebook.com/tr.css");</style>',
        f'<img src="/a.png" onload="new Image().src=\'{PIXEL}\'"/>',
        '<script><![CDATA[ gtag("config", "G-1"); if (1 < 2) {} ]]></script>',
        "<script><![CDATA[ fbq('init', '1'); ]]></script>",
        "<script>fbq(&apos;track&apos;, &apos;PageView&apos;)</script>",
        f'<h:img xmlns:h="{XHTML}" src="{PIXEL}"/>',
        f'<textarea><img src="{PIXEL}"/></textarea>',
        f'<noscript><img src="{PIXEL}"/></noscript>',
        f'<img data-cg-src="/own.png" src="{PIXEL}"/>',
        '<base href="https://www.facebook.com/"/><img src="tr?id=1"/>',
        "<iframe srcdoc=\"&lt;script&gt;fbq('init', '1')&lt;/script&gt;\"/>",
        # XML names are case-sensitive: 'Type', 'REL', 'DATA-CG-CATEGORY' are no attributes to Chromium.
        f'<script Type="text/plain" src="{GTM}"/>',
        "<script Type=\"text/plain\">fbq('init', '1')</script>",
        f'<link REL="nofollow" rel="stylesheet" href="{PIXEL}"/>',
        f'<img DATA-CG-CATEGORY="necessary" src="{PIXEL}"/>',
    ],
)
async def test_xhtml_loaders_are_made_inert(make_gate: GateFactory, markup: str) -> None:
    document = f"<html {X}><head><title>t</title></head><body>{markup}<p>after</p></body></html>"
    assert live(document.encode()) != []
    out = _inert(await _get(make_gate, document))
    assert out.endswith(b"<p>after</p></body></html>")


_FRAMED = f'<img src="{PIXEL}"/>'
_NESTED = "<iframe src='data:text/html," + quote(_FRAMED) + "'>"


@pytest.mark.parametrize(
    "markup",
    [
        f'<iframe src="data:text/html,{html.escape(_FRAMED)}"/>',
        f'<iframe src="data:text/html;charset=utf-8,{quote(_FRAMED)}"/>',
        f'<iframe src="DATA:text/html;base64,{base64.b64encode(_FRAMED.encode()).decode()}"/>',
        f'<object data="data:image/svg+xml,{quote(SVG_DOC)}"/>',
        f'<embed src="data:application/xhtml+xml,{quote(PAGE)}"/>',
        f'<iframe src="data:text/html,{html.escape(_NESTED)}"/>',
        f'<iframe srcdoc="{html.escape(_NESTED)}"/>',
    ],
)
async def test_a_frame_whose_data_url_document_loads_a_tracker_is_made_inert(
    make_gate: GateFactory, markup: str
) -> None:
    # Chromium 156 renders the data: URL as a document of its own and loads the pixel in it.
    document = f'<html {X}><body>{markup}<iframe src="data:text/html,&lt;p&gt;hi&lt;/p&gt;"/></body></html>'
    out = (await _get(make_gate, document)).content
    assert out.count(b"data-cg-") >= 2 and out.count(b'data-cg-category="unclassified"') == 1
    assert b'<iframe src="data:text/html,&lt;p&gt;hi&lt;/p&gt;"/>' in out  # one that loads nothing stays


async def test_elements_outside_xhtml_and_svg_load_nothing_and_are_left_alone(make_gate: GateFactory) -> None:
    document = f'<root><img src="{PIXEL}"/><x:img xmlns:x="urn:x" src="{PIXEL}"/><body {X}><img src="{PIXEL}"/></body></root>'
    out = (await _get(make_gate, document, b"application/xml")).content
    assert out.count(b'<img src="' + PIXEL.encode()) == 1  # the one without a namespace
    assert b'<x:img xmlns:x="urn:x" src="' in out
    assert live(out) == []


async def test_a_stylesheet_instruction_to_a_tracker_and_an_xslt_one_are_made_inert(
    make_gate: GateFactory,
) -> None:
    document = (
        f'<?xml version="1.0"?><?xml-stylesheet type="text/css" href="{PIXEL}"?>'
        '<?xml-stylesheet href="/own.css" type="text/css"?><?xml-stylesheet href="/feed.xsl" type="text/xsl"?>'
        '<?xml-stylesheet href="/other.xsl" type="application/xslt+xml; q=1"?>'
        '<?xml-stylesheet TYPE="text/css" href="/cased.xsl" type="text/xsl"?>'
        "<rss><channel/></rss>"
    )
    out = _inert(await _get(make_gate, document, b"application/xml"))
    assert b'<?xml-stylesheet href="/own.css" type="text/css"?>' in out
    # An XSLT transform makes markup the gate never sees: it does not run while anything is refused.
    assert b'data-cg-href="/feed.xsl"' in out and b'data-cg-href="/other.xsl"' in out
    assert b'data-cg-href="/cased.xsl"' in out
    granted = await _get(
        make_gate, document, b"application/xml", choice={"action": "accept_all"}, mode="per_visitor"
    )
    assert granted.content == document.encode()


@pytest.mark.parametrize(
    ("subset", "use"),
    [
        (f'<!ENTITY u "{PIXEL}">', '<img src="&u;"/>'),
        ('<!ENTITY h "www.facebook.com">', '<img src="https://&h;/tr"/>'),
        (f"<!ENTITY e '<img src=\"{PIXEL}\"/>'>", "&e;"),
        ("<!ENTITY % p \"<!ENTITY e 'x'>\"> %p;", "&e;"),
        ('<!ENTITY e SYSTEM "https://www.facebook.com/e.xml">', "&e;"),
        (f'<!ATTLIST img src CDATA "{PIXEL}">', "<img/>"),
        (f'<!ATTLIST p xmlns CDATA "{XHTML}">', f'<p><img src="{PIXEL}"/></p>'),
    ],
)
async def test_entities_that_could_hide_a_tracker_refuse_the_document(
    make_gate: GateFactory, subset: str, use: str
) -> None:
    document = f'<?xml version="1.0"?><!DOCTYPE html [{subset}]><html {X}><body>{use}</body></html>'
    response = await _get(make_gate, document)
    assert response.status_code == 502
    assert response.json()["error"] == "xml_refused"


async def test_harmless_entities_pass_and_the_rest_is_rewritten(make_gate: GateFactory) -> None:
    # What illustration programs write into SVG files: namespaces as entities.
    document = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY ns_x "http://ns.example.com/x/1.0/"><!ENTITY c "&#169;">]>'
        f'<svg xmlns="{SVG}" xmlns:x="&ns_x;"><title>&c; 2026</title><image href="{PIXEL}"/></svg>'
    )
    out = _inert(await _get(make_gate, document, b"image/svg+xml"))
    assert out.startswith(document[:120].encode()) and b"data-cg-href" in out


async def test_a_malformed_document_is_rewritten_up_to_its_error_and_ends_there(
    make_gate: GateFactory,
) -> None:
    document = f'<html {X}><body><img src="{PIXEL}&amp;before"/><p></div><img src="{PIXEL}&amp;after"/></body></html>'
    for pieces in (1, 7):
        response = await _get(make_gate, document, pieces=pieces)
        out = response.content
        assert b"data-cg-src" in out and b"before" in out
        assert b"after" not in out and b"</div>" not in out


async def test_utf16_documents_are_rewritten_and_sent_back_in_utf16(make_gate: GateFactory) -> None:
    document = f'<?xml version="1.0" encoding="UTF-16"?><html {X}><body><p>日本語</p><img src="{PIXEL}"/></body></html>'
    for encoding, body, content_type in (
        ("utf-16", document.encode("utf-16"), b"application/xhtml+xml"),  # with its byte order mark
        ("utf-16-be", document.encode("utf-16-be"), b"application/xhtml+xml; charset=utf-16be"),
        ("utf-16-le", document.encode("utf-16-le"), b"image/svg+xml"),  # '<?xml' in UTF-16LE, no BOM
        # The byte order mark wins over the header's charset (Chromium 156 loaded the pixel so).
        ("utf-16", document.encode("utf-16"), b"application/xhtml+xml; charset=utf-8"),
    ):
        response = await _get(make_gate, body, content_type, pieces=5)
        text = response.content.decode(encoding)
        assert "日本語" in text and "data-cg-src" in text
        assert live(text.encode("utf-8").replace(b'encoding="UTF-16"', b'encoding="UTF-8"')) == []


async def test_an_encoding_the_gate_cannot_read_with_certainty_is_refused(make_gate: GateFactory) -> None:
    document = (
        f'<?xml version="1.0" encoding="iso-2022-jp"?><html {X}><body><img src="{PIXEL}"/></body></html>'
    )
    assert (await _get(make_gate, document)).status_code == 502
    unknown = document.replace("iso-2022-jp", "x-no-such-encoding")
    assert (await _get(make_gate, unknown)).status_code == 502


async def test_a_visitor_who_granted_everything_gets_the_document_untouched(make_gate: GateFactory) -> None:
    refused = await _get(make_gate, PAGE, mode="per_visitor")
    assert refused.content != PAGE.encode()
    granted = await _get(make_gate, PAGE, choice={"action": "accept_all"}, mode="per_visitor")
    assert granted.content == PAGE.encode()
    # Private to the visitor all the same: a shared cache must not give this one to another.
    assert granted.headers["vary"] == refused.headers["vary"] == "Cookie"
    assert granted.headers["cache-control"] == refused.headers["cache-control"] == "private"
    some = await _get(make_gate, PAGE, choice={"categories": {"analytics": True}}, mode="per_visitor")
    assert some.content.count(b"data-cg-src") == 1 and f'<script src="{GTM}"/>'.encode() in some.content


async def test_bytes_are_identical_when_nothing_is_refused_and_the_length_is_right(
    make_gate: GateFactory,
) -> None:
    plain = (
        f'<?xml version="1.0"?>\n<!-- c --><html {X}><head><script><![CDATA[ var a = "//example.org/x"; ]]></script>'
        '<style>p { color: red }</style></head><body><img src="/a.png" srcset="/b.png 2x"/>'
        "<p>caf\u00e9 &amp; &#169;</p></body></html>\n"
    ).encode()
    for pieces in (1, 3, 50):
        response = await _get(make_gate, plain, pieces=pieces)
        assert response.content == plain
    rewritten = await _get(make_gate, PAGE)
    assert int(rewritten.headers["content-length"]) == len(rewritten.content) != len(PAGE)


async def test_a_gzip_body_and_one_in_many_pieces_are_rewritten_alike(make_gate: GateFactory) -> None:
    whole = (await _get(make_gate, PAGE)).content
    pieces = await _get(make_gate, PAGE, pieces=40)
    assert pieces.content == whole != PAGE.encode()
    zipped = await _get(
        make_gate, gzip.compress(PAGE.encode()), extra=[(b"content-encoding", b"gzip")], pieces=3
    )
    assert zipped.content == whole  # (httpx decoded it)


async def test_a_gzip_body_that_breaks_after_its_start_ends_there(make_gate: GateFactory) -> None:
    body = PAGE.encode().replace(b"<p>hello</p>", b"<p>hello</p>" * 3000)
    broken = bytearray(gzip.compress(body))
    broken[-6] ^= 0xFF  # its CRC is wrong: known when the last piece comes, after output went out
    headers = [(b"content-type", b"application/xhtml+xml"), (b"content-encoding", b"gzip")]
    gate = make_gate(body_app(bytes(broken), headers, pieces=8))
    try:
        async with client_for(gate) as client, client.stream("GET", "/") as response:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
    finally:
        await gate.aclose()
    assert response.status_code == 200  # (the gate's send raised into the app before)
    decoded = zlib.decompressobj(31).decompress(raw)
    whole = (await _get(make_gate, body)).content  # the same document, unbroken
    assert b"data-cg-src" in decoded and whole.startswith(decoded)  # the part before the break


async def test_a_body_without_a_type_that_starts_as_xml_is_read_as_xml(make_gate: GateFactory) -> None:
    # Chromium sniffs it as text/xml: a textarea's content is markup there, not text as in HTML.
    document = f'<?xml version="1.0"?><html {X}><body><textarea><img src="{PIXEL}"/></textarea></body></html>'
    response = await _get(make_gate, document, None)
    assert response.headers["content-type"] == "text/xml"
    _inert(response)
    zipped = await _get(
        make_gate, gzip.compress(document.encode()), None, extra=[(b"content-encoding", b"gzip")]
    )
    assert zipped.headers["content-type"] == "text/xml" and zipped.content == response.content
    html = "<!doctype html><title>t</title><textarea><img src=x></textarea>"
    gzipped = gzip.compress(html.encode())
    other = await _get(make_gate, gzipped, None, extra=[(b"content-encoding", b"gzip")])
    assert "content-type" not in other.headers and html in other.text  # the HTML path's, as before


async def test_with_unknown_types_refused_a_body_without_a_type_is_refused_even_if_xml(
    make_gate: GateFactory,
) -> None:
    document = f'<?xml version="1.0"?><html {X}><body><img src="{PIXEL}"/></body></html>'
    response = await _get(make_gate, document, None, gate={"unknown_content_type": "refuse"})
    assert response.status_code == 502 and response.json()["error"] == "unknown_content_type"
    assert live((await _get(make_gate, document, None)).content) == []


async def test_head_gets_no_length_of_the_document_before_its_rewrite(make_gate: GateFactory) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/xhtml+xml"), (b"content-length", str(len(PAGE)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else PAGE.encode()}
        )

    gate = make_gate(app, mode="per_visitor")
    try:
        async with client_for(gate) as client:
            head = await client.head("/")
            got = await client.get("/")
    finally:
        await gate.aclose()
    assert "content-length" not in head.headers and head.headers["vary"] == "Cookie"
    assert int(got.headers["content-length"]) == len(got.content) != len(PAGE)


async def test_a_gzip_body_that_breaks_while_its_start_is_held_ends_empty(make_gate: GateFactory) -> None:
    # A first piece too short to know the encoding by, then garbage: nothing of the app's bytes
    # may go out half (the held first piece would be lost), the document is empty.
    zipped = gzip.compress(b'<?xml version="1.0" encoding="UTF-8"?>' + PAGE.encode()[21:])

    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/xhtml+xml"), (b"content-encoding", b"gzip")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": zipped[:14], "more_body": True})
        await send({"type": "http.response.body", "body": b"\xff" * 64, "more_body": False})

    gate = make_gate(app)
    try:
        async with client_for(gate) as client, client.stream("GET", "/") as response:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
    finally:
        await gate.aclose()
    assert response.status_code == 200 and response.headers["content-length"] == "0" and raw == b""
