"""The tree's bulk readings (:meth:`Tree.repeat`, :meth:`Tree.repeat_end`, :meth:`Tree.closes_nothing`)
leave exactly the state the tag-by-tag reading leaves, and the depth cap errs on the safe side.

Dense foreign markup (thousands of ``<g>`` opened and closed, end tags that close nothing) is read
in groups; each group must do what reading its tags one by one does, on any stack.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from consentgate.gate.rewrite.nesting import read_nesting
from consentgate.gate.rewrite.quiet import ORDINARY_TAGS
from consentgate.gate.rewrite.tree import Tree
from tests.support.rewriter import fake_injection, leaks, run, tiny_plan

PLAN = tiny_plan(injection=fake_injection)
SETTINGS = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
TRACKER = "https://www.facebook.com/tr"
Tag = tuple[bytes, bytes, bytes, bytes]

NAMES = st.sampled_from(
    [
        b"g",
        b"h",
        b"desc",
        b"title",
        b"mi",
        b"annotation-xml",
        b"foreignobject",
        b"b",
        b"div",
        b"p",
        b"x",
        b"wbr",
    ]
)
TAGS: st.SearchStrategy[Tag] = st.one_of(
    NAMES.map(lambda n: (b"", n, b"", b"")),  # start
    NAMES.map(lambda n: (b"/", n, b"", b"")),  # end
    NAMES.map(lambda n: (b"", n, b"/", b"")),  # self-closing
    NAMES.map(lambda n: (b"", n, b"", b">")),  # start, its end tag right after text
    NAMES.map(lambda n: (b"/", n, b"", b">")),  # two end tags
)

STARTS: st.SearchStrategy[Tag] = NAMES.map(lambda n: (b"", n, b"", b""))
#: Deep stacks: mostly start tags (svg and math again, HTML in integration points, ...).
BEFORE = st.lists(
    st.one_of(
        STARTS, STARTS, STARTS, TAGS, st.sampled_from([b"svg", b"math"]).map(lambda n: (b"!", n, b"", b""))
    ),
    max_size=40,
)


def _state(tree: Tree) -> tuple[Any, ...]:
    return (
        list(tree.stack),
        list(tree._math),
        {k: list(v) for k, v in tree._foreign_at.items()},
        {k: list(v) for k, v in tree._html_at.items()},
        list(tree._html),
        list(tree._barriers),
    )


def _tree(root: bytes, tags: list[Tag]) -> Tree:
    tree = Tree()
    tree.start(root, b"", False)
    for tag in tags:
        if tag[0] == b"!":  # (an <svg> or <math>, read apart by the rewriter)
            tree.start(tag[1], b"", False)
        else:
            tree.ordinary([tag])
    return tree


@SETTINGS
@given(
    root=st.sampled_from([b"svg", b"math"]),
    before=BEFORE,
    unit=st.lists(TAGS, min_size=1, max_size=4),
    times=st.integers(1, 60),
)
def test_a_repeated_unit_in_bulk_is_the_unit_read_again_and_again(
    root: bytes, before: list[Tag], unit: list[Tag], times: int
) -> None:
    bulk, one_by_one = _tree(root, before), _tree(root, before)
    bulk.repeat(unit, times)
    one_by_one.ordinary(unit * times)
    assert _state(bulk) == _state(one_by_one)


def _s(name: bytes) -> Tag:
    return (b"", name, b"", b"")


@SETTINGS
@given(
    root=st.sampled_from([b"svg", b"math"]),
    before=BEFORE,
    bulk_pushes=st.lists(st.tuples(st.lists(STARTS, min_size=1, max_size=3), st.integers(1, 40)), max_size=3),
    name=NAMES,
    times=st.integers(1, 80),
)
# A foreign <g> under an HTML element is out of reach; one above it is not:
@example(b"svg", [_s(b"g"), _s(b"desc"), _s(b"b"), (b"!", b"svg", b"", b"")], [([_s(b"g")], 3)], b"g", 5)
# HTML <g> elements with a foreign one between them (in an <svg> in the HTML):
@example(
    b"svg", [_s(b"desc"), _s(b"g"), _s(b"g"), (b"!", b"svg", b"", b""), _s(b"g"), _s(b"foreignobject")],
    [([_s(b"x"), _s(b"g")], 3)], b"g", 9,
)  # fmt: skip
def test_a_repeated_end_tag_in_bulk_is_each_one_read(
    root: bytes, before: list[Tag], bulk_pushes: list[tuple[list[Tag], int]], name: bytes, times: int
) -> None:
    bulk, one_by_one = _tree(root, before), _tree(root, before)
    for unit, count in bulk_pushes:  # (stacks built in bulk too: ranges in the index lists)
        bulk.repeat(unit, count)
        one_by_one.repeat(unit, count)
    assert _state(bulk) == _state(one_by_one)
    bulk.repeat_end(name, times)
    for _ in range(times):
        one_by_one.end(name)
    assert _state(bulk) == _state(one_by_one)


@SETTINGS
@given(before=BEFORE, names=st.lists(NAMES, min_size=1, max_size=8))
def test_end_tags_said_to_close_nothing_close_nothing(before: list[Tag], names: list[bytes]) -> None:
    tree = _tree(b"svg", before)
    if tree.stack and tree.closes_nothing(names):
        state = _state(tree)
        tree.ordinary([(b"/", name, b"", b"") for name in names])
        assert _state(tree) == state


def test_deeper_than_followed_foreign_content_never_ends() -> None:
    """Past the depth the stack is followed, an end tag may close an element the tree did not keep,
    and a breakout tag may stand in an integration point it did not keep: closing a namesake it
    kept (``</svg>``) or popping to the bottom would end foreign content early, and an ``<img>`` in
    a ``<style>`` (markup there) would load."""
    deep = "<!doctype html><svg>" + "<g>" * 4095
    for middle in ("<svg></svg>", "<desc><div></div></desc>", "<g></g>" * 5000, "<svg><g></g></svg>"):
        document = deep + middle + f"<style><img src={TRACKER}></style>"
        assert leaks(run(PLAN, document.encode()), ("facebook.com",), ()) == [], middle


def test_the_mark_survives_a_snapshot() -> None:
    tree = _tree(b"svg", [(b"", b"g", b"", b"")] * 5000)
    assert tree.lost
    copy = Tree()
    copy.stack = list(tree.stack)
    assert copy.lost and _state(copy) == _state(tree)
    copy.end(b"g")
    copy.start(b"div", b"", False)
    assert copy.lost and copy.foreign


# --- plain tags nested at random (nesting.read_nesting) ---------------------------------------------

#: Names of every kind read_nesting meets: plain ones (an integration point, a name with '-'), and
#: those it must leave to the group reader (void, breakout, special: svg, title).
_NEST = [b"g", b"h", b"x-y", b"desc", b"mi", b"annotation-xml", b"foreignobject"]
_LEFT = [b"wbr", b"image", b"div", b"b", b"p", b"svg", b"title"]
_PLAIN = st.sampled_from(_NEST)
PLAIN_PIECES = st.one_of(
    *[_PLAIN.map(lambda n: b"<%s>" % n)] * 4,
    *[_PLAIN.map(lambda n: b"</%s>" % n)] * 4,
    _PLAIN.map(lambda n: b"</%s >" % n),
    _PLAIN.map(lambda n: b"<%s/>" % n),
    _PLAIN.map(lambda n: b"<%s >x</%s>" % (n, n)),
    st.sampled_from(_LEFT[:5]).map(lambda n: b"</%s>" % n),  # (end tags of void and breakout names)
    st.sampled_from([b"x", b"\n  ", b"a > b", b"&amp;"]),
)
#: Markup read_nesting must leave to the group reader (or to the exact mode).
ODD_PIECES = st.one_of(
    st.sampled_from(_LEFT).map(lambda n: b"<%s>" % n),
    st.sampled_from(
        [b"</svg>", b"</title>", b"<!-- <g> -->", b'<g id="1">', b"<g/ >", b"</g/>", b"< b", b"<<g>"]
    ),
)
#: A plain tag where read_nesting stopped, or what it must never read: a tag it leaves to the
#: group reader, a comment, an attribute, a '<' of text.
_UNREAD = re.compile(
    rb"<(?:%s)[\t\n\f\r />]|<!|<[^<>]* [a-z]|< |<<|<g/ |</g/|</svg|</title" % b"|".join(_LEFT)
)


@SETTINGS
@given(
    root=st.sampled_from([b"svg", b"math"]),
    deep=st.sampled_from([0, 0, 4000, 4088, 4093]),
    before=BEFORE,
    pieces=st.lists(PLAIN_PIECES, min_size=1, max_size=120),
    odd=st.lists(st.tuples(st.integers(0, 120), ODD_PIECES), max_size=2),
    cut=st.integers(0, 200),
)
# Two more elements may be pushed: the third is the mark, and what follows closes nothing.
@example(b"svg", 4093, [], [b"<g>", b"<g>", b"</g>", b"</g>", b"</g>"], [], -1)
def test_plain_tags_nested_at_random_in_bulk_are_each_one_read(
    root: bytes, deep: int, before: list[Tag], pieces: list[bytes], odd: list[tuple[int, bytes]], cut: int
) -> None:
    """What read_nesting reads leaves the tree as reading its tags one by one does (on any stack,
    near the depth it is followed to as well), and it reads no tag it must leave to others."""
    for at, piece in odd:
        pieces.insert(at, piece)
    low = b"<g>" + b"".join(pieces)
    bulk, one_by_one = Tree(), Tree()
    for tree in (bulk, one_by_one):
        tree.start(root, b"", False)
        tree.repeat([(b"", b"g", b"", b"")], deep)
        for tag in before:
            if tag[0] == b"!":
                tree.start(tag[1], b"", False)
            else:
                tree.ordinary([tag])
    assume(bulk.stack and not bulk.lost)
    starts = [at for at in range(1, len(low)) if low[at] == 60] + [len(low)]
    end = read_nesting(bulk, low, 0, starts[cut % len(starts)], len(low))
    one_by_one.ordinary(ORDINARY_TAGS.findall(low, 0, end))
    assert _state(bulk) == _state(one_by_one)
    assert end == len(low) or low[end] == 60  # (it ends where a construct begins)
    assert _UNREAD.search(low, 0, end) is None


@pytest.mark.parametrize("count", [4, 40])  # (up to 16 names, matched pairs are cut out in bytes first)
def test_a_random_walk_of_plain_tags_is_read_to_its_end(count: int) -> None:
    """Tags nested at random, no unit repeated: read to the end in one call (a few Python steps
    per tag), each end tag closing what the one-by-one reading closes."""
    rnd = random.Random(3)
    names = [b"g%d" % i for i in range(count)]
    parts: list[bytes] = []
    open_ = [b"g"] * 5
    for _ in range(20000):
        if open_ and rnd.random() < 0.5:
            parts.append(b"</%s>" % open_.pop())
        else:
            open_.append(rnd.choice(names))
            parts.append(b"<%s>" % open_[-1])
    low = b"".join(parts)
    bulk, one_by_one = _tree(b"svg", [_s(b"g")] * 5), _tree(b"svg", [_s(b"g")] * 5)
    assert read_nesting(bulk, low, 0, 200, len(low)) == len(low)
    one_by_one.ordinary(ORDINARY_TAGS.findall(low))
    assert _state(bulk) == _state(one_by_one)
    assert [name for name, _ in bulk.stack] == [b"svg", *open_]
