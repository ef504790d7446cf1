"""Plain tags nested at random inside ``<svg>``/``<math>`` are read in bulk
(:func:`~consentgate.gate.rewrite.nesting.read_nesting`): the rewritten page is byte for byte the
one the group reader alone makes, and a random walk of tags costs a few Python lines per tag.

(That bulk reading equals the tag-by-tag one on the tree is in ``test_tree_bulk.py``.)
"""

from __future__ import annotations

import random
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentgate.gate.rewrite import exact
from tests.support.rewriter import fake_injection, line_events, run, tiny_plan

PLAN = tiny_plan(injection=fake_injection)
TRACKER = "https://www.facebook.com/tr"
NAMES = st.sampled_from(["g", "path", "rect", "desc", "mi", "x-y"])
#: What may stand in the walk: what ends foreign content or switches the tokenizer, loads, or
#: makes the tree's reading matter (an <img> in a <style> is a tag only in foreign content).
ODD = st.sampled_from(
    [
        f"<style><img src={TRACKER}></style>", f"<title><img src={TRACKER}></title>", "</svg>",
        "<svg>", "<math>", "</math>", "<foreignObject>", "<div>", "</div>", "<b>", "<p>", "</p>",
        "<wbr>", "<br>", "<!-- </style> -->", '<g id="1">', f"<img src={TRACKER}>", "x < y",
        "<select>", "</select>", "<font color=red>", f'<a href="{TRACKER}">', "<b></b>", "<p>x</p>",
        "<div><g></g></div>", "<wbr></wbr>",
    ]
)  # fmt: skip
TAGS = st.one_of(
    *[NAMES.map(lambda n: f"<{n}>")] * 5,
    *[NAMES.map(lambda n: f"</{n}>")] * 5,
    NAMES.map(lambda n: f"<{n}/>"),
    ODD,
)


def _without_nesting(tree: Any, low: bytes, pos: int, first: int, stop: int) -> int:
    return pos


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    root=st.sampled_from(["<svg>", "<math>", "<svg><foreignObject><svg>"]),
    walk=st.lists(TAGS, min_size=40, max_size=400),
    chunks=st.lists(st.integers(1, 300), max_size=6),
)
def test_the_page_is_the_one_the_group_reader_makes(root: str, walk: list[str], chunks: list[int]) -> None:
    document = f"<!doctype html><body>{root}{''.join(walk)}<style><img src={TRACKER}></style>".encode()
    bulk = run(PLAN, document, chunks=chunks)
    with mock.patch.object(exact, "read_nesting", _without_nesting):
        assert bulk == run(PLAN, document, chunks=chunks)


def _random_walk(tags: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    names = [b"g", b"a", b"path", b"rect", b"text", b"tspan", b"circle", b"defs"]
    parts: list[bytes] = []
    open_: list[bytes] = []
    while len(parts) < tags:
        if open_ and rnd.random() < 0.5:
            parts.append(b"</%s>" % open_.pop())
        else:
            open_.append(rnd.choice(names))
            parts.append(b"<%s>" % open_[-1])
    return b"".join(parts)


def test_a_random_walk_of_tags_costs_a_few_python_lines_per_tag() -> None:
    """No unit repeats, so the group reader would read it tag by tag (about 15 lines each); read
    in bulk, about five (four for the list that matches them, the tree's share for the rest)."""
    page = b"<!doctype html><body><svg>"
    small = line_events(PLAN, page + _random_walk(2000, 1))
    large = line_events(PLAN, page + _random_walk(22000, 1))
    assert (large - small) / 20000 < 6
