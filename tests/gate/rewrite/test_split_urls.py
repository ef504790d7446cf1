"""URLs that browsers read as a tracker's though their bytes do not say so plainly: split by tabs
and newlines (a URL parser drops them), spelled with character references, or with one slash.

In the exact mode (inside ``<svg>``, ``<noscript>``, ``<select>``...) the ordinary markup is read in
bulk up to where the rewriter's ``HOT`` regex may match; a tag holding such a URL must not be
swallowed there. In CSS, a tab in a string or an escaped tab or newline splits a URL the same way.
html5lib is the judge of what the page loads.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from consentgate.gate.rewrite.tagging import _REFERENCE, HOT, _sparse_search, next_trigger
from tests.support.rewriter import activity, fake_injection, host_of, leaks, run, tiny_plan

HOSTS = ("facebook.com",)
PLAN = tiny_plan(injection=fake_injection)
PAGE = "<!doctype html><html><head></head><body>{}"
TRACKER = "www.facebook.com/tr?id=1"

SPELLINGS = (
    f"/\n/{TRACKER}",
    f"/\t/{TRACKER}",
    f"/\r\n/{TRACKER}",
    f"ht\ntp:{TRACKER}",
    f"https\t:{TRACKER}",
    f"http:/{TRACKER}",
    f"h&#116;tp:{TRACKER}",
    f"/&NewLine;/{TRACKER}",
    f"/&Tab;/{TRACKER}",
)
#: Where the exact mode reads constructs one by one (a <base href> that resolves to the page
#: itself sets no base URL: the ordinary markup after it is still read in bulk).
CONTEXTS = (
    "<noscript>{}</noscript>",
    "<svg><g>{}</g></svg>",
    "<select>{}</select>",
    "<svg><foreignObject>{}</foreignObject></svg>",
    "<math><mi>{}</mi></math>",
    "<base href='/x/'>{}",
    "<svg>{}</svg>",
)
TAGS = (
    '<video src="{}"></video>',
    '<audio src="{}"></audio>',
    '<svg><image href="{}"/></svg>',
    '<p>x</p><input type=image src="{}">',
)


def _leaking_fragments() -> list[str]:
    """Every context, tag and spelling whose page does load the tracker (per html5lib)."""
    found = []
    for context in CONTEXTS:
        for tag in TAGS:
            for url in SPELLINGS:
                fragment = context.format(tag.format(url))
                if leaks(PAGE.format(fragment).encode(), HOSTS, ()):
                    found.append(fragment)
    return found


FRAGMENTS = _leaking_fragments()


def test_the_cases_load_the_tracker() -> None:
    # (most of them do: the test below is not vacuous)
    assert len(FRAGMENTS) > len(CONTEXTS) * len(SPELLINGS)


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_exact_mode_reads_the_tags_that_hold_split_urls(fragment: str) -> None:
    document = PAGE.format(fragment).encode()
    assert leaks(run(PLAN, document), HOSTS, ()) == []


_BYTE_REFERENCES = {
    "h": ("&#104;", "&#x68;", "&#X0068;"),
    "t": ("&#116;", "&#x74;"),
    "p": ("&#112;", "&#x70;"),
    "s": ("&#115;", "&#x73;"),
    ":": ("&colon;", "&#58;", "&#x3a;"),
    "/": ("&sol;", "&#47;", "&#x2F;"),
}
_DROPPED = ("", "", "\t", "\n", "\r", "&Tab;", "&NewLine;", "&#9;", "&#x0a;")


@st.composite
def _spellings(draw: st.DrawFn) -> str:
    """The tracker's URL with a scheme or not, one or two slashes, each byte up to the host
    perhaps a character reference, and tabs and newlines (perhaps as references) between them."""
    head = draw(st.sampled_from(("//", "http://", "https://", "http:/", "https:", "http:")))
    out = []
    for char in head:
        out.append(draw(st.sampled_from((char, char.upper(), *_BYTE_REFERENCES[char]))))
        out.append(draw(st.sampled_from(_DROPPED)))
    return "".join(out) + TRACKER


@given(
    url=_spellings(),
    context=st.sampled_from(CONTEXTS),
    tag=st.sampled_from(TAGS),
    chunk=st.integers(min_value=1, max_value=200),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_no_spelling_of_a_tracker_url_passes_the_exact_mode(
    url: str, context: str, tag: str, chunk: int
) -> None:
    document = PAGE.format(context.format(tag.format(url))).encode()
    assume(leaks(document, HOSTS, ()))
    assert leaks(run(PLAN, document), HOSTS, ()) == []
    assert leaks(run(PLAN, document, chunks=[chunk] * (len(document) // chunk)), HOSTS, ()) == []


@given(st.text(alphabet='/\\\t\n\r:htpsx&#;0123456789abcdefonliw<>"= ', max_size=40))
@settings(max_examples=500, deadline=None)
def test_every_match_of_hot_holds_a_trigger(text: str) -> None:
    # Whoever stops at the triggers (the fast path's ordinary tags, the exact mode's bulk reading)
    # then reads every tag HOT flags; srcdoc is the exact mode's own.
    low = text.encode().lower()
    for m in HOT.finditer(low):
        if m.group() != b"srcdoc":
            assert next_trigger(low, m.start(), []) < m.end(), m


@given(
    st.lists(
        st.tuples(st.integers(0, 700), st.sampled_from(["&", "&#", "&amp;", "&sol", "&so", "&&"])),
        max_size=40,
    ),
    st.integers(0, 100),
)
@settings(max_examples=200, deadline=None)
def test_the_sparse_skim_finds_what_the_regex_finds(pieces: list[tuple[int, str]], at: int) -> None:
    # The trigger for character references skims to each '&' while they are sparse and hands over
    # to the regex engine where they are dense: the same first match either way.
    low = "".join(" " * gap + piece for gap, piece in pieces).encode()
    m = _REFERENCE.search(low, at)
    assert _sparse_search(low, at, b"&", _REFERENCE) == (m.start() if m is not None else -1)


# --- CSS -----------------------------------------------------------------------------------------

#: A URL in CSS or a handler once a browser's URL parser has dropped its tabs and newlines
#: (html5lib gives the text; CSS escapes are not decoded here, so the cases use literal tabs).
_TEXT_URL = re.compile(
    r"(?:https?:)?//[^ \f\"'<>()`,;{}\\]+|https?:/?[^ \f\"'<>()`,;{}\\/][^ \f\"'<>()`,;{}\\]*", re.I
)


def _css_fetches(document: bytes) -> list[str]:
    found = []
    for scripting in (True, False):
        for _tag, kind, value in activity(document, scripting=scripting):
            if kind != "text":
                continue
            # (the cases' CSS holds tabs only inside its URLs)
            for url in _TEXT_URL.findall(re.sub(r"[\t\n\r]", "", value)):
                host = host_of(url)
                if host is not None and host.endswith("facebook.com"):
                    found.append(url)
    return found


CSS_CASES = (
    f"<div style='background:url(\"ht\ttp:{TRACKER}\")'>x</div>",
    f"<div style='background:url(\"/\t/{TRACKER}\")'>x</div>",
    f"<div style='background:url(\"http:/{TRACKER}\")'>x</div>",
    f"<div style='background:url(\"h&#116;tp\t:{TRACKER}\")'>x</div>",
    f'<style>body{{background:url("ht\ttp:{TRACKER}")}}</style>',
    f'<style>@import "/\t/{TRACKER}";</style>',
    f'<style>@import "https:\t/{TRACKER}";</style>',
    f'<svg><style>@import "/\t/{TRACKER}";</style></svg>',
    f"<noscript><p style='background:url(\"/\t/{TRACKER}\")'>x</p></noscript>",
)


@pytest.mark.parametrize("fragment", CSS_CASES)
def test_css_naming_a_split_url_is_made_inert(fragment: str) -> None:
    document = PAGE.format(fragment).encode()
    assert _css_fetches(document)
    assert _css_fetches(run(PLAN, document)) == []


@pytest.mark.parametrize(
    "css",
    [
        f"background:url(ht\\9 tp:{TRACKER})",
        f"background:url(/\\a /{TRACKER})",
        f'background:url("/\\d/{TRACKER}")',
    ],
)
def test_css_escaped_tabs_and_newlines_in_a_url_are_dropped(css: str) -> None:
    # (an escaped tab or newline stands in the URL the browser parses, where the parser drops it)
    document = PAGE.format(f"<div style='{css}'>x</div>").encode()
    assert b"data-cg-" in run(PLAN, document).split(b"</head>")[1]
