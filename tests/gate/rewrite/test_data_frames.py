"""Frames whose ``data:`` URL is a document of its own (an HTML or XML one) that would load a
refused tracker: the frame's URL attribute is renamed as any refused loader's, with the nested
document's category (Chromium 156 loaded each of these trackers through the gate before)."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

import consentgate.gate.xml  # noqa: F401  (registers the XML judge of data: documents)
from consentgate.gate.rewrite import data_frames
from tests.support.rewriter import run, same_at_every_cut, tiny_plan

PLAN = tiny_plan()
PIXEL = "https://www.facebook.com/tr?id=1"
PIXEL_TAG = f"<img src={PIXEL}>"
SVG_PIXEL = (
    "<svg xmlns=%22http://www.w3.org/2000/svg%22><image href=%22https://www.facebook.com/tr%22/></svg>"
)


def _b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


REFUSED = {
    "percent-encoded": f'<iframe src="data:text/html,{PIXEL_TAG}"></iframe>',
    "base64": f'<iframe src="data:text/html;base64,{_b64(PIXEL_TAG)}"></iframe>',
    "object svg": f'<object data="data:image/svg+xml,{SVG_PIXEL}"></object>',
    "embed script": '<embed src="data:text/html,%3Cscript%20src%3D%22https%3A//connect.facebook.net/x.js%22%3E%3C/script%3E">',
    "object type": f'<object type="image/png" data="data:text/html;base64,{_b64(PIXEL_TAG)}"></object>',
    "embed type": f'<embed type="text/html" src="data:text/html;base64,{_b64(PIXEL_TAG)}">',
    "nested data": (
        "<iframe src=\"data:text/html,<iframe src='data:text/html;base64,"
        + _b64(PIXEL_TAG)
        + "'></iframe>\"></iframe>"
    ),
    "nested percent": f"<iframe src=\"data:text/html,<iframe src='data:text/html,{quote(quote(PIXEL_TAG))}'></iframe>\"></iframe>",
    "xhtml": (
        '<iframe src="data:application/xhtml+xml,<html xmlns=%22http://www.w3.org/1999/xhtml%22>'
        f'<body><img src=%22{PIXEL}%22/></body></html>"></iframe>'
    ),
    "foreign object": f'<svg><foreignObject><iframe src="data:text/html;base64,{_b64(PIXEL_TAG)}"></iframe></foreignObject></svg>',
    "reference spelled": f'<iframe src="&#100;ata:text/html;base64,{_b64(PIXEL_TAG)}"></iframe>',
    "tab in scheme": f'<iframe src="d\ta\nta:text/html;base64,{_b64(PIXEL_TAG)}"></iframe>',
    "upper case": f'<IFRAME SRC="DATA:TEXT/HTML;BASE64,{_b64(PIXEL_TAG)}"></IFRAME>',
    "after a base": f'<base href="/x/"><iframe src="data:text/html;base64,{_b64(PIXEL_TAG)}"></iframe>',
    "utf-16": f'<iframe src="data:text/html;charset=utf-16le;base64,{_b64(PIXEL_TAG.encode("utf-16le"))}"></iframe>',
}
FRAMESET = (
    f'<!doctype html><html><head><title>t</title></head><frameset><frame src="data:text/html;base64,'
    f'{_b64(PIXEL_TAG)}"></frameset></html>'
)


def _body(inner: str) -> bytes:
    return f"<!doctype html><html><head><title>t</title></head><body><p>hi</p>{inner}<p>end</p></body></html>".encode()


def _settled(document: bytes) -> bytes:
    """The rewrite, checked to be the same at every cut and idempotent."""
    out = same_at_every_cut(PLAN, document)
    assert run(PLAN, out) == out
    return out


@pytest.mark.parametrize("inner", REFUSED.values(), ids=REFUSED.keys())
def test_a_frame_whose_data_document_loads_a_refused_tracker_is_inert(inner: str) -> None:
    out = _settled(_body(inner)).lower()
    assert b"data-cg-src=" in out or b"data-cg-data=" in out
    assert b' src="data:' not in out and b' data="data:' not in out
    assert b'data-cg-category="' in out


SHEET = f"@import url({PIXEL}); p {{ background: url(https://www.youtube.com/x.png) }}"
SHEETS = {
    "percent-encoded": f'<link rel="stylesheet" href="data:text/css,{quote(SHEET)}">',
    "base64": f'<link rel=stylesheet href="data:text/css;base64,{_b64(SHEET)}">',
    "import of a data sheet": f'<link rel=stylesheet href="data:text/css,@import url(data:text/css;base64,{_b64(SHEET)});">',
    "utf-16": f'<link rel=stylesheet href="data:text/css;base64,{_b64(SHEET.encode("utf-16"))}">',
    "any type": f'<LINK REL=STYLESHEET HREF="data:text/plain;base64,{_b64(SHEET)}">',
}


@pytest.mark.parametrize("inner", SHEETS.values(), ids=SHEETS.keys())
def test_a_link_whose_data_style_sheet_loads_a_refused_tracker_is_inert(inner: str) -> None:
    # Chromium 156 fetched the @import of such a sheet through the gate: the rewriter judged the
    # URL, which names no host, and a base64 one holds none of the bytes its triggers look for.
    out = _settled(_body(inner)).lower()
    assert b"data-cg-href=" in out and b' href="data:' not in out and b" href=data:" not in out
    assert b'data-cg-category="advertising"' in out
    assert run(PLAN, _body(inner), blocked=frozenset()) == _body(inner)


def test_the_category_is_the_nested_documents() -> None:
    out = _settled(_body(REFUSED["base64"]))
    assert b'data-cg-category="advertising"' in out


def test_a_frame_in_a_frameset_is_inert() -> None:
    out = _settled(FRAMESET.encode())
    assert b'<frame data-cg-category="advertising" data-cg-src="data:' in out
    # With a base64 URL (no trigger byte) after many ordinary tags: the exact mode stops at it.
    spaced = FRAMESET.replace("<frameset>", "<frameset>" + "<frame src=/own.html>" * 50)
    assert b'data-cg-src="data:' in _settled(spaced.encode())


def test_a_frame_in_a_page_full_of_data_images_is_still_found() -> None:
    images = "".join(f'<img src="data:image/png;base64,{_b64(bytes([i]) * 90)}">' for i in range(30))
    out = _settled(_body(images + REFUSED["embed type"] + images))
    assert out.count(b"data-cg-src=") == 1
    assert out.count(b'<img src="data:image/png;base64,') == 60


def test_nested_too_deep_is_refused() -> None:
    document = PIXEL_TAG.replace(PIXEL, "/own.png")  # harmless at every level
    for _ in range(data_frames.DEPTH_LIMIT + 1):
        document = f'<iframe src="data:text/html;base64,{_b64(document)}"></iframe>'
    out = _settled(_body(document))
    assert b'data-cg-src="data:' in out
    harmless = f'<iframe src="data:text/html;base64,{_b64("<p>own</p>")}"></iframe>'
    assert _settled(_body(harmless)) == _body(harmless)


def test_an_xml_document_is_judged_as_xml() -> None:
    harmless = '<object data="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22><circle r=%221%22/></svg>"></object>'
    assert _settled(_body(harmless)) == _body(harmless)
    malformed = f'<object data="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22><image href=%22{PIXEL}%22>"></object>'
    assert b'data-cg-data="data:' in _settled(_body(malformed))


@pytest.mark.parametrize(
    "inner",
    [
        '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">',
        f'<img src="data:text/html,{PIXEL_TAG}">',  # an image renders no document
        '<iframe src="data:text/html,<p>own text</p>"></iframe>',
        f'<iframe src="data:text/plain,{PIXEL_TAG}"></iframe>',
        f'<iframe src="data:,{PIXEL_TAG}"></iframe>',
        f'<a href="data:text/html,{PIXEL_TAG}">x</a>',
        f'<div style="background:url(data:image/svg+xml;base64,{_b64("<svg/>")})">x</div>',
        f'<svg><iframe src="data:text/html;base64,{_b64("<p>own</p>")}"></iframe></svg>',
        '<link rel="icon" href="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">',
        '<link rel="stylesheet" href="data:text/css,p{color:red}">',
        '<link rel="stylesheet" href="data:text/css,p{background:url(/own.png)}">',
    ],
)
def test_harmless_data_urls_are_left_as_they_are(inner: str) -> None:
    assert _settled(_body(inner)) == _body(inner)


@pytest.mark.parametrize("inner", [*REFUSED.values(), FRAMESET], ids=[*REFUSED.keys(), "frameset"])
def test_nothing_refused_leaves_every_byte(inner: str) -> None:
    document = inner.encode() if inner.startswith("<!doctype") else _body(inner)
    assert run(PLAN, document, blocked=()) == document


def test_a_granted_category_leaves_the_frame() -> None:
    document = _body(REFUSED["base64"])
    assert run(PLAN, document, blocked=("analytics", "social")) == document
    assert b"data-cg-src" in run(PLAN, document, blocked=("advertising",))


def test_the_sites_explicit_category_decides_as_for_an_srcdoc() -> None:
    frame = f'<iframe data-cg-category="CATEGORY" src="data:text/html;base64,{_b64(PIXEL_TAG)}"></iframe>'
    necessary = _body(frame.replace("CATEGORY", "necessary"))
    assert run(PLAN, necessary) == necessary
    social = _body(frame.replace("CATEGORY", "social"))
    assert b"data-cg-src" in run(PLAN, social)
    assert run(PLAN, social, blocked=("advertising",)) == social


#: Where the rewriter reads markup exactly (an integration point of SVG/MathML, whose HTML is HTML)
#: or where one reading parses what another takes for text (noscript, scripting off).
PLACES = {
    "noscript in head": ("<noscript>", "</noscript>"),
    "noscript in body": ("<p>x<noscript>", "</noscript>"),
    "svg foreignObject": ("<svg><foreignObject>", "</foreignObject></svg>"),
    "svg desc": ("<svg><desc>", "</desc></svg>"),
    "math mtext": ("<math><mtext>", "</mtext></math>"),
}
DATA_LOADERS = {
    "style sheet": f'<link rel="stylesheet" href="data:text/css;base64,{_b64(SHEET)}">',
    "script": f'<script src="data:text/javascript,{quote(f"fetch({PIXEL!r})")}"></script>',
}


@pytest.mark.parametrize("place", PLACES.values(), ids=PLACES.keys())
@pytest.mark.parametrize("inner", DATA_LOADERS.values(), ids=DATA_LOADERS.keys())
def test_a_data_sheet_or_script_is_inert_where_markup_is_read_exactly(
    place: tuple[str, str], inner: str
) -> None:
    # Both passed live in these places (html5lib: the link and the HTML script in the integration
    # point, scripting on and off; the link in noscript, scripting off): the exact reading asked
    # for a verdict only on tags holding a URL trigger, which a base64 URL has none of, and its
    # HTML script was judged by its src alone.
    document = _body(place[0] + inner + place[1])
    out = _settled(document).lower()
    assert b' href="data:' not in out and b' src="data:' not in out
    assert b'data-cg-category="advertising"' in out
    assert run(PLAN, document, blocked=frozenset()) == document


@pytest.mark.parametrize(
    "src",
    [
        "data:,gtag('js')",
        "d\ta\nta:,gtag('js')",
        "data&#58;,gta&Tab;&#X67('js')",
        "data:text/javascript;base64,Z3RhZygnanMnKQ==",
    ],
)
def test_a_data_script_holding_a_refused_snippet_is_inert(src: str) -> None:
    # As an inline script with that text is: its src named no URL, so the code was judged by the
    # URLs it names alone (the soup fuzzer, with data: URLs among its trackers).
    for place in ("{}", "<svg><foreignObject>{}</foreignObject></svg>"):
        document = _body(place.format(f'<script src="{src}"></script>'))
        out = _settled(document)
        assert b'<script type="text/plain" data-cg-category="analytics"' in out
        assert run(PLAN, document, blocked=frozenset()) == document


@pytest.mark.parametrize(
    "tag",
    [
        b'<embed\nbackground=`ht&#116;ps:/&#x2F;%77ww.facebo&#xAD;ok&#46;com/tr\nSRC="" '
        b"SRC=data:text/html,%3Cimg%20src%3Dhttps://www.facebook.com/tr%3E/>",
        b"<svg><script>]]>gtag('config')</SCRIPT><iframe lowsrc=javascript&colon;fetch('ga.js') xlink:Href\t =\t ''"
        b"/Src=data:text/html,%3Cimg%20src%3Dhttps://www.facebook.com/tr%3E / imagesrcset = "
        b'"https://u:p@www.facebook.com:443/tr"/ >',
    ],
)
def test_a_data_frame_made_inert_renames_every_loader_as_a_second_rewrite_would(tag: bytes) -> None:
    # Made inert for its data: document, the frame got the category and only its frame attribute
    # renamed; a second rewrite read the category as the site's own and renamed its other loading
    # attributes (the soup fuzzer, seeds 2504239 and 2611886, once it made data: URLs).
    out = run(PLAN, tag)
    assert b'data-cg-category="' in out
    assert run(PLAN, out) == out
