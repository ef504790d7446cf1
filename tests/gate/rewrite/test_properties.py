"""Properties of the rewriter over generated markup (hypothesis).

The generator mixes the constructs that matter to an HTML tokenizer (candidate and ordinary tags in
any case, every quoting, attributes holding ``>`` or ``<``, comments and their odd endings, bogus
comments, raw-text elements, script data with its escape states, truncated constructs, stray bytes)
with tracker and first-party URLs. Small caps make the "too big to hold" paths run too.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentgate.gate.rewrite import RewritePlan, Rewriter
from tests.support.rewriter import ALL_OPTIONAL, TinyCatalog, fake_injection, leaks, run, tiny_plan

URLS = st.sampled_from(
    [
        "https://www.google-analytics.com/ga.js",
        "//www.facebook.com/tr?id=1&ev=x",
        "HTTPS://WWW.YOUTUBE.COM/embed/x",
        "https:&#47;&#47;www.facebook.com/tr",
        "/local.js",
        "https://cdn.example.com/x.png",
        "//www.facebook.com/tr 1x, /a.png 2x",
        "",
    ]
)
TAG_NAMES = st.sampled_from(
    [
        "script", "img", "iframe", "link", "source", "embed", "object", "noscript", "style", "textarea",
        "title", "xmp", "noembed", "noframes", "plaintext", "html", "head", "body", "div", "p", "a",
        "SCRIPT", "Img", "IFrame", "scripts", "imgx", "template",
    ]
)  # fmt: skip
END_NAMES = st.sampled_from(
    ["script", "noscript", "head", "body", "style", "textarea", "title", "iframe", "div", "SCRIPT"]
)
ATTR_NAMES = st.sampled_from(
    [
        "src", "srcset", "href", "data", "type", "rel", "nonce", "data-cg-category", "data-cg-service",
        "alt", "=x", 'a"b', "language", "SRC",
    ]
)  # fmt: skip
ATTR_VALUES = st.one_of(
    URLS,
    st.sampled_from(
        [
            "module", "text/javascript", "application/ld+json", "text/plain", "preload", "dns-prefetch x",
            "analytics", "necessary", "social", "advertising", "bogus", "a>b", "<script>", "-->", "n0nce",
        ]
    ),
    st.text(alphabet="ab<>\"'= /-", max_size=5),
)  # fmt: skip
WS = st.sampled_from([" ", "\n", "/", "\t ", " / ", ""])
TEXT = st.text(alphabet="ab <>&;\"'=/-!?\n", max_size=8)
SCRIPT_TEXT = st.sampled_from(
    [
        "gtag('config')", "fbq('init')", "var a = 1 < 2 && b > c;", "<!--", "-->", "--!>", "<script>",
        "<script ", "</script>", "</SCRIPT ", "</scripts>", "<!--<script>", "</noscript>", "</style>",
        "</textarea>", "</title>", "</iframe>", "</xmp>", "-", "<", "!", "<!-->", "<!--->",
    ]
)  # fmt: skip


@st.composite
def attribute(draw: Any) -> str:
    name: str = draw(ATTR_NAMES)
    if draw(st.booleans()):
        return name
    quote = draw(st.sampled_from(['"', "'", ""]))
    value = draw(ATTR_VALUES)
    if quote:
        value = value.replace(quote, "")
    around = draw(st.sampled_from(["", " ", "\n "]))
    return f"{name}{around}={around}{quote}{value}{quote}"


@st.composite
def start_tag(draw: Any) -> str:
    parts = ["<" + draw(TAG_NAMES)]
    for attr in draw(st.lists(attribute(), max_size=4)):
        parts.append(draw(WS) or " ")
        parts.append(attr)
    parts.append(draw(st.sampled_from([">", "/>", " >", ""])))
    return "".join(parts)


@st.composite
def tracker(draw: Any) -> str:
    """A well-formed tag that loads or runs something of the tiny catalog, in any spelling."""
    quote = draw(st.sampled_from(['"', "'", ""]))
    url = draw(
        st.sampled_from(
            [
                "https://www.google-analytics.com/ga.js",
                "//www.facebook.com/tr?id=1",
                "HTTPS://WWW.YOUTUBE.COM/embed/x",
                "https:&#47;&#47;connect.facebook.net/x.js",
            ]
        )
    )
    extra = draw(
        st.sampled_from(["", ' alt="a > b"', " data-x='<script>'", ' title="it' + "'" + 's"', " async", "/"])
    )
    form = draw(st.integers(0, 6))
    if form == 0:
        tag = f"<script{extra} src={quote}{url}{quote}></script>"
    elif form == 1:
        tag = f"<img{extra} src={quote}{url}{quote}>"
    elif form == 2:
        tag = f"<iframe{extra} src={quote}{url}{quote}></iframe>"
    elif form == 3:
        tag = f"<link rel=preload{extra} href={quote}{url}{quote}>"
    elif form == 4:
        tag = f'<source{extra} srcset="/a.png 1x, {url} 2x">'
    elif form == 5:
        tag = f"<script{extra}>{draw(st.sampled_from(['gtag(1)', 'fbq(2)']))}</script>"
    else:
        tag = f"<embed{extra} src={quote}{url}{quote}>"
    return tag.upper() if draw(st.booleans()) and "&#" not in tag else tag


ATOMS = st.one_of(
    tracker(),
    start_tag(),
    start_tag(),
    END_NAMES.map(lambda n: f"</{n}>"),
    TEXT,
    SCRIPT_TEXT,
    st.sampled_from(
        ["<!-- c -->", "<!---->", "<!-->", "<!--->", "<!-- x --!>", "<!--", "<!x>", "<?p>", "</ x>", "</>"]
    ),
    st.sampled_from(
        ["<!DOCTYPE html>", "<!doctype html>", "<html>", "<head>", "</head>", "<body>", "</body>"]
    ),
)
DOCUMENTS = st.lists(ATOMS, max_size=24).map(lambda atoms: "".join(atoms).encode("utf-8"))
ANY_BYTES = st.one_of(
    DOCUMENTS, st.binary(max_size=200), st.tuples(DOCUMENTS, st.binary(max_size=8)).map(lambda t: t[0] + t[1])
)

PLANS = [
    tiny_plan(),
    tiny_plan(injection=fake_injection, tag_cap=32, script_cap=16),
    tiny_plan(injection=fake_injection),
]
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cuts(draw: Any, size: int) -> list[int]:
    points = sorted(set(draw(st.lists(st.integers(0, max(size, 0)), max_size=12))))
    return [b - a for a, b in zip([0, *points], points, strict=False)]


def _is_subsequence(small: bytes, big: bytes) -> bool:
    it = iter(big)
    return all(byte in it for byte in small)


@SETTINGS
@given(document=ANY_BYTES, data=st.data(), which=st.integers(0, len(PLANS) - 1))
def test_output_does_not_depend_on_the_chunks(document: bytes, data: Any, which: int) -> None:
    plan = PLANS[which]
    whole = run(plan, document)
    assert run(plan, document, chunks=_cuts(data.draw, len(document))) == whole
    assert run(plan, document, chunks=[1] * len(document)) == whole


@SETTINGS
@given(document=ANY_BYTES, data=st.data())
def test_nothing_to_block_is_the_identity(document: bytes, data: Any) -> None:
    plan = RewritePlan(TinyCatalog())  # no known categories: an unknown explicit one is not refused
    assert run(plan, document, frozenset()) == document
    assert run(plan, document, frozenset(), chunks=_cuts(data.draw, len(document))) == document


@SETTINGS
@given(document=ANY_BYTES, which=st.integers(0, len(PLANS) - 1))
def test_rewriting_twice_is_rewriting_once(document: bytes, which: int) -> None:
    plan = PLANS[which]
    once = run(plan, document)
    assert run(plan, once) == once


@SETTINGS
@given(document=ANY_BYTES, which=st.integers(0, len(PLANS) - 1))
def test_no_byte_is_ever_lost(document: bytes, which: int) -> None:
    # Every rewrite only inserts bytes (attributes, "data-cg-" before a name, the injection).
    assert _is_subsequence(document, run(PLANS[which], document))


@SETTINGS
@given(document=ANY_BYTES, data=st.data(), blocked=st.sets(st.sampled_from(sorted(ALL_OPTIONAL))))
def test_no_input_raises(document: bytes, data: Any, blocked: set[str]) -> None:
    rewriter = Rewriter(PLANS[1], blocked, nonce=data.draw(st.sampled_from([None, "", "n"])))
    at = 0
    for size in _cuts(data.draw, len(document)):
        rewriter.feed(document[at : at + size])
        at += size
    rewriter.feed(document[at:])
    rewriter.finish()


@SETTINGS
@given(document=DOCUMENTS)
def test_nothing_refused_loads_or_runs_per_html5lib(document: bytes) -> None:
    # Markup may keep a tag on purpose with data-cg-category="necessary"; everything else of the
    # tiny catalog's services must be inert for html5lib, with JavaScript on and off.
    if b"necessary" in document:
        return
    out = run(PLANS[2], document)
    hosts = ("google-analytics.com", "googletagmanager.com", "facebook.com", "facebook.net", "youtube.com")
    assert leaks(out, hosts, ("gtag(", "fbq(")) == []


def test_an_end_tag_to_neutralise_split_between_two_chunks() -> None:
    # In <noscript>'s reach, '</noscript' inside a script's text is written '<\/noscript' (a
    # browser with scripting on would end the noscript there); cut inside it, or just after it,
    # the output must be the same.
    tracker = b'<script src="https://www.google-analytics.com/ga.js"></script>'
    page = tracker + b'<noscript src="https://www.google-analytics.com/ga.js">'
    # ('</noscript' and a tab: an end tag's name ends only at a space, '/' or '>', and only such
    # an end tag is neutralised.)
    body = page + page + b"<script>\x00\x00\x00\x00\x00</noscript\t\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    plan = tiny_plan(injection=fake_injection, tag_cap=32, script_cap=16)
    whole = run(plan, body, frozenset())
    assert b"<\\/noscript" in whole
    for cut in range(1, len(body)):
        assert run(plan, body, frozenset(), chunks=[cut]) == whole, cut
