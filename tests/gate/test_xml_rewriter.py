"""The XML rewriter on its own: the same output at every cut of the input, a second rewrite that
changes nothing, bytes identical with nothing refused, and a document cut off by an error (the
properties the HTML rewriter's tests check, for :class:`~consentgate.gate.xml.XmlRewriter`)."""

from __future__ import annotations

import pytest

from consentgate.catalog.catalog import Catalog
from consentgate.config import load_config
from consentgate.gate.rewrite import RewritePlan
from consentgate.gate.xml import XmlRewriter
from tests.gate.test_xml_documents import PAGE, PIXEL, SVG_DOC, X, live

CONFIG = load_config()
PLAN = RewritePlan(Catalog.builtin().with_config(CONFIG), categories=CONFIG.category_names)
BLOCKED = frozenset(CONFIG.optional_categories)
MIXED = (
    f'<?xml version="1.0"?>\n<?xml-stylesheet href="{PIXEL}&amp;pi" type="text/css"?>\n'
    f'<html {X} xmlns:svg="http://www.w3.org/2000/svg" xmlns:xl="http://www.w3.org/1999/xlink"><head>'
    '<script><![CDATA[ if (a < b && c) { fbq("init", "1"); } ]]></script>'
    '<style>/* x */ p { background: url("//www.facebook.com/tr?id=css") }</style></head><body>'
    f'<!-- <img src="{PIXEL}"/> --><p title="a &gt; b">caf\u00e9</p><img src="/own.png"/>'
    f'<svg:svg><svg:image xl:href="{PIXEL}&amp;svg"/><svg:script>gtag("config", "G-2")</svg:script></svg:svg>'
    f'<script src="/own.js"/><img src="{PIXEL}&amp;last"/></body></html>\n'
)


#: Found by a random document generator: an SVG script and an SVG style made inert by their text
#: kept an XLink href written under another prefix live (a second rewrite renamed it).
SVG_TEXT_AND_HREF = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:l="http://www.w3.org/1999/xlink">'
    '<script l:href="https://www.youtube.com/embed/x">@import url(//www.facebook.com/a.css);</script>'
    '<style l:href="/a.png">@import url(//www.facebook.com/b.css);</style></svg>'
)


def run(document: bytes, cuts: list[int], blocked: frozenset[str] = BLOCKED) -> bytes:
    rewriter = XmlRewriter(PLAN, blocked)
    pieces = [document[a:b] for a, b in zip([0, *cuts], [*cuts, len(document)], strict=True)]
    return b"".join(rewriter.feed(piece) for piece in pieces) + rewriter.finish()


@pytest.mark.parametrize("document", [PAGE, SVG_DOC, MIXED, SVG_TEXT_AND_HREF])
def test_the_output_is_the_same_at_every_cut_and_a_second_rewrite_changes_nothing(document: str) -> None:
    data = document.encode()
    whole = run(data, [])
    assert whole != data and live(whole) == []
    for cut in range(1, len(data)):
        assert run(data, [cut]) == whole, cut
    assert run(data, list(range(1, len(data)))) == whole  # a byte at a time
    assert run(whole, []) == whole
    assert whole.count(b"l:href") == 0


def test_with_nothing_refused_every_byte_is_the_same() -> None:
    data = MIXED.encode()
    assert run(data, [], frozenset()) == data
    assert run(data, list(range(7, len(data), 7)), frozenset()) == data


def test_output_comes_as_the_document_streams() -> None:
    rewriter = XmlRewriter(PLAN, BLOCKED)
    head = f"<html {X}><body>".encode() + b"<p>text</p>" * 1000
    assert len(rewriter.feed(head)) > len(head) - 100  # not held back to the end


def test_a_refusal_stops_the_output() -> None:
    rewriter = XmlRewriter(PLAN, BLOCKED)
    out = rewriter.feed(f'<!DOCTYPE html [<!ENTITY % p "x">]><html {X}/>'.encode())
    assert out == b"" and rewriter.stopped is not None and rewriter.stopped.refused
    assert rewriter.feed(b"<more/>") == b"" and rewriter.finish() == b""


def test_a_long_text_streams_through_and_is_not_held_to_the_cap() -> None:
    rewriter = XmlRewriter(PLAN, BLOCKED, cap=4096)
    out = rewriter.feed(f"<html {X}><body><p>".encode())
    for _ in range(100):  # 100 KB of text in one text node, in pieces of 1 KB
        out += rewriter.feed(b"x" * 1024)
    out += rewriter.feed(f'</p><img src="{PIXEL}"/></body></html>'.encode()) + rewriter.finish()
    assert rewriter.stopped is None and b"data-cg-src" in out and len(out) > 100 * 1024
