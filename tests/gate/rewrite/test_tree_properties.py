"""Generated markup that mixes foreign content, ``<select>``, ``<noscript>``, ``<base href>``,
``srcset`` and every fetching attribute with the tokenizer's odd corners; html5lib (scripting on
and off) must find nothing of a refused category that loads or runs in the rewritten page.

400 examples per run; ``CG_REWRITER_EXAMPLES=100000`` for a long local run (see docs/gate.md).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentgate.gate.rewrite import RewritePlan
from tests.support.rewriter import SMALL_CAPS, TinyCatalog, fake_injection, leaks, run, tiny_plan

EXAMPLES = int(os.environ.get("CG_REWRITER_EXAMPLES", "400"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
HOSTS = ("google-analytics.com", "googletagmanager.com", "facebook.com", "facebook.net", "youtube.com")

TRACKER_URLS = [
    "https://www.google-analytics.com/ga.js",
    "//www.facebook.com/tr?id=1",
    "http:www.facebook.com/tr",
    "https://www\u3002facebook\u3002com/tr",
    "https://\uff57\uff57\uff57.youtube.com/embed/x",
    "https:&#47;&#47;connect.facebook.net/x.js",
    "HTTPS://WWW.YOUTUBE.COM/embed/x",
    "tr?id=2",  # relative: a tracker only under a tracker's <base href>
    "/a.png 1x,https://www.facebook.com/tr,",
    # data: URLs whose document (a frame's), style sheet (a link's) or code (a script's) loads one
    "data:text/html,%3Cimg%20src%3D//www.facebook.com/tr%3E",
    "data:text/css;base64,QGltcG9ydCB1cmwoaHR0cHM6Ly93d3cuZmFjZWJvb2suY29tL3RyKTs=",
    "data:,gtag('js')",
]
URLS = st.sampled_from([*TRACKER_URLS, "/local.js", "https://cdn.example.com/x.png", ""])
NAMES = st.sampled_from(
    [
        "svg", "math", "select", "option", "foreignObject", "desc", "title", "mi", "annotation-xml", "g",
        "style", "script", "textarea", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext",
        "img", "image", "video", "audio", "track", "input", "frame", "embed", "object", "source", "link",
        "base", "meta", "body", "table", "td", "a", "div", "p", "font", "br", "template", "use",
    ]
)  # fmt: skip
END_NAMES = st.sampled_from(
    [
        "svg",
        "math",
        "select",
        "foreignObject",
        "desc",
        "title",
        "style",
        "script",
        "noscript",
        "xmp",
        "p",
        "br",
        "div",
    ]
)
ATTRS = st.sampled_from(
    [
        "src", "srcset", "href", "xlink:href", "poster", "background", "ping", "data", "style", "onerror",
        "srcdoc", "imagesrcset", "content", "rel", "type", "http-equiv", "encoding", "color", "alt",
        "data-cg-category",
    ]
)  # fmt: skip
VALUES = st.one_of(
    URLS,
    URLS.map(lambda u: f"background:url({u})"),
    URLS.map(lambda u: f"javascript:load('{u}')"),
    URLS.map(lambda u: f"&lt;img src={u}&gt;"),
    URLS.map(lambda u: f"0;url={u}"),
    st.sampled_from(
        [
            "stylesheet", "icon", "preload", "refresh", "image", "text/html", "speculationrules", "importmap",
            "necessary", "analytics", "</noscript>", "</style>", "<!--", "-->", "a>b", "red",
        ]
    ),
)  # fmt: skip
TEXT = st.sampled_from(
    [
        "x", " ", "<", "-->", "<!--", "</noscript>", "</style>", "</title>", "</xmp>", "</select>", "</svg>",
        "<![CDATA[", "]]>", ">", "'", '"', "fbq('init')",
        '{"prefetch":[{"source":"list","urls":["https://www.facebook.com/tr"]}]}',
        "body{background:url(//www.facebook.com/tr)}",
    ]
)  # fmt: skip


@st.composite
def start_tag(draw: Any) -> str:
    parts = ["<" + draw(NAMES)]
    for _ in range(draw(st.integers(0, 3))):
        quote = draw(st.sampled_from(['"', "'", ""]))
        value = draw(VALUES)
        if quote:
            value = value.replace(quote, "")
        elif " " in value:
            quote = '"'
        parts.append(f" {draw(ATTRS)}={quote}{value}{quote}")
    parts.append(draw(st.sampled_from([">", "/>", " >"])))
    return "".join(parts)


@st.composite
def burst(draw: Any) -> str:
    """A few tags repeated many times: foreign content nested deep, closed again, misnested."""
    tags: list[str] = draw(
        st.lists(
            st.one_of(start_tag(), st.sampled_from(["g", "desc", "b", "x"]).map(lambda n: f"</{n}>")),
            min_size=1,
            max_size=3,
        )
    )
    times: int = draw(st.integers(2, 60))
    return "".join(tags) * times


ATOMS = st.one_of(
    start_tag(),
    start_tag(),
    END_NAMES.map(lambda n: f"</{n}>"),
    TEXT,
    st.sampled_from(["<!-- c -->", "<!--", "<!---->", "<!x>", "<?p>"]),
    burst(),
)
DOCUMENTS = st.lists(ATOMS, max_size=20).map(
    lambda atoms: ('<!doctype html><meta charset="utf-8">' + "".join(atoms)).encode("utf-8")
)
PLAN = tiny_plan(injection=fake_injection)


@SETTINGS
@given(document=DOCUMENTS)
def test_nothing_refused_loads_in_any_reading(document: bytes) -> None:
    if b"necessary" in document:  # a site may keep a tag on purpose
        return
    assert leaks(run(PLAN, document), HOSTS, ("fbq(",)) == []


@SETTINGS
@given(document=DOCUMENTS, data=st.data())
def test_chunks_idempotence_and_identity(document: bytes, data: Any) -> None:
    for plan in (PLAN, SMALL_CAPS):
        once = run(plan, document)
        cuts = data.draw(st.lists(st.integers(1, 9), max_size=40))
        assert run(plan, document, chunks=cuts) == once
        assert run(plan, once) == once
    assert run(RewritePlan(TinyCatalog()), document, frozenset()) == document
