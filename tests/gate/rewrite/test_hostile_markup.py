"""Hostile markup: what the exact mode passes in bulk is read as it would be construct by construct,
and no tag costs in proportion to how deep the page nests.

The exact mode (inside ``<svg>``/``<math>``, ``<select>``, ``<noscript>``) matches stretches of
ordinary markup with one regex and updates the tree from their tags in one loop
(:func:`~consentgate.gate.rewrite.quiet.ordinary_run`); reading the same bytes construct by
construct (the run disabled) must give the same output and leave the same state, whatever the
chunks. Costs are counted in Python line events, not in seconds.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentgate.gate.rewrite import Rewriter, exact
from tests.support.rewriter import SMALL_CAPS, fake_injection, leaks, line_events, run, tiny_plan

PLAN = tiny_plan(injection=fake_injection)
BLOCKED = frozenset({"analytics", "advertising", "social"})
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
TRACKER = "https://www.facebook.com/tr"

NAMES = st.sampled_from(
    [
        "svg", "math", "select", "option", "foreignObject", "desc", "title", "mi", "g", "path", "p", "b",
        "span", "div", "br", "font", "img", "image", "area", "wbr", "xmp", "iframe", "noembed", "noscript",
        "style", "script", "textarea", "input", "base", "body", "x-y", "g:x", "use", "a",
    ]
)  # fmt: skip
VALUES = st.sampled_from(["", "M0 0", "a b", "x/y", "a>b", TRACKER, "//cdn.example.com/x", "&amp;", "</xmp>"])
TEXT = st.sampled_from(
    ["x", " ", "<", "<1", "</ x>", "-->", "<!--", "<!---->", "<!-- c -->", "<![CDATA[", ">"]
)


@st.composite
def _tag(draw: Any) -> str:
    parts = ["<" + draw(NAMES)]
    for _ in range(draw(st.integers(0, 2))):
        quote = draw(st.sampled_from(['"', "'", ""]))
        value = draw(VALUES).replace('"', "").replace("'", "")
        if not quote and (" " in value or not value):
            quote = '"'
        parts.append(
            f" {draw(st.sampled_from(['d', 'fill', 'href', 'color', 'srcdoc', 'x']))}={quote}{value}{quote}"
        )
    parts.append(draw(st.sampled_from([">", "/>", " >"])))
    return "".join(parts)


@st.composite
def _burst(draw: Any) -> str:
    """Many tags of one name: nested, closed right away, or closed later."""
    name: str = draw(st.sampled_from(["g", "p", "desc", "xmp", "title", "option", "b", "mi", "wbr", "x"]))
    other: str = draw(st.sampled_from(["g", "h", "desc", "b", "foreignObject", "wbr"]))
    shape: str = draw(
        st.sampled_from(
            [
                "<{0}>", "<{0}>a</{0}>", "<{0}/>", "</{0}>", "<{0}><{1}>", "</{1}></{0}>", "<{0}><{1}></{0}>",
                "</{0}><{1}>", "<{0}> <{1}/><!---->", "</{0}>x</{0} >", "<{0} id={n}>", "<{0} id={n}></{0}>",
                "</{0}{n}>",
            ]
        )
    )  # fmt: skip
    times: int = draw(st.integers(1, 40))
    return "".join(shape.format(name, other, n=n % 3 if draw(st.booleans()) else n) for n in range(times))


ATOMS = st.one_of(_tag(), _tag(), NAMES.map(lambda n: f"</{n}>"), TEXT, _burst())
DOCUMENTS = st.lists(ATOMS, max_size=30).map(lambda atoms: ("<!doctype html>" + "".join(atoms)).encode())


_NOTHING = re.compile(b"")  # an ordinary run that never matches: every construct read alone


def _read(plan: Any, document: bytes, cuts: list[int]) -> list[object]:
    """Output and state after each chunk, then the end."""
    rewriter = Rewriter(plan, BLOCKED)
    seen: list[object] = []
    pos = 0
    for cut in [*cuts, len(document)]:
        seen.append(rewriter.feed(document[pos : pos + cut]))
        pos += cut
        tree = rewriter._tree
        seen.append((list(tree.stack), tree.select, sorted(rewriter._neutral), rewriter._state))
    seen.append(rewriter.finish())
    return seen


@SETTINGS
@given(document=DOCUMENTS, cuts=st.lists(st.integers(1, 12), max_size=30))
def test_ordinary_runs_read_as_construct_by_construct(
    document: bytes, cuts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    for plan in (PLAN, SMALL_CAPS):
        bulk = _read(plan, document, cuts)
        with monkeypatch.context() as patch:
            patch.setattr(exact, "ordinary_run", lambda *_args: _NOTHING)
            one_by_one = _read(plan, document, cuts)
        assert bulk == one_by_one


def test_an_svg_closed_by_math_goes_on() -> None:
    """``</math>`` does not close an ``<svg>``: what follows is still foreign content, where an
    ``<xmp>`` is markup and the ``<img>`` in it breaks out and loads."""
    for document in (
        f'<!doctype html><svg></math><xmp><img src="{TRACKER}"></xmp>',
        f'<!doctype html><math></svg><noembed><img src="{TRACKER}"></noembed>',
    ):
        assert leaks(run(PLAN, document.encode()), ("facebook.com",), ()) == []


def test_integration_points_are_those_of_their_namespace() -> None:
    """``<mi>`` is an HTML integration point only in MathML, ``<desc>`` only in SVG: inside an
    ``<svg><mi>`` an ``<image href>`` is SVG's, and loads."""
    for document in (
        f'<!doctype html><svg><mi><image href="{TRACKER}"></image></mi></svg>',
        f'<!doctype html><svg><mi><use href="{TRACKER}#a"/></mi></svg>',
        f'<!doctype html><math><desc><image href="{TRACKER}"></image></desc></math>',
        f'<!doctype html><math><mi><img src="{TRACKER}"></mi></math>',
        f'<!doctype html><math><annotation-xml><svg><desc><img src="{TRACKER}"></desc></svg></annotation-xml></math>',
    ):
        assert leaks(run(PLAN, document.encode()), ("facebook.com",), ()) == [], document


def test_an_end_tag_costs_the_same_however_deep_the_stack() -> None:
    """End tags that close nothing, under 10 and under 4,000 open SVG elements: the cost of each
    may not grow with the depth (walking the stack would make a page of them quadratic)."""
    per_end_tag = []
    for depth in (10, 4000):
        page = "<!doctype html><svg>" + "<g>" * depth
        base = line_events(PLAN, page.encode())
        with_ends = line_events(PLAN, (page + "</x>" * 300).encode())
        per_end_tag.append((with_ends - base) / 300)
    assert per_end_tag[1] < 2 * per_end_tag[0] + 5


def test_ordinary_markup_in_foreign_content_is_read_in_bulk() -> None:
    """A long run of plain SVG markup costs a few Python lines per tag (about 14 here), not the
    exact mode's reading of each construct (about 70)."""
    unit = '<g class="a"><path d="M0 0"/>x</g><g>'
    small = line_events(PLAN, ("<!doctype html><svg>" + unit * 100).encode())
    large = line_events(PLAN, ("<!doctype html><svg>" + unit * 1100).encode())
    assert (large - small) / 1000 < 100  # lines per unit of four tags


def test_dense_foreign_markup_costs_no_python_step_per_tag() -> None:
    """Tags repeated inside an ``<svg>`` (nested and closed again, closed right away, end tags that
    close nothing, under a deep stack or not) are read in groups: a thousand more of them cost
    fewer Python lines than tags."""
    for unit, deep in (
        ("<g>" * 300 + "</g>" * 300, ""),
        ("<g><h>" * 150 + "</h></g>" * 150, ""),
        ("".join(f'<g id="{i}">' for i in range(300)) + "</g >" * 300, ""),
        ("<g></g>", ""),
        ('<g id="1"></g><g id="2"></g>', ""),
        ("<g><h></g>", ""),
        ("</x>", "<g>" * 3000),
        ("</x1></x2></x3>", "<g>" * 3000),
    ):
        page = "<!doctype html><svg>" + deep
        small = line_events(PLAN, (page + unit * 10).encode())
        large = line_events(PLAN, (page + unit * 1010).encode())
        tags = unit.count("<") * 1000
        assert (large - small) / tags < 1.4, unit[:30]  # (tag by tag: 1.5 to 25)
