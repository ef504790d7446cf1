"""Where the text of a ``<script>`` or ``<style>`` that the rewriter reads as markup ends.

Inside ``<svg>``/``<math>`` (and a ``<style>`` in ``<select>``) these elements are ordinary: their
text runs to the end tag that closes them, and a ``<script>`` inside a ``<script>`` is an element
of its own, closed by the first end tag after it. A parser that reads them as raw text instead
ends them at the first ``</script`` (``</style``) followed by a space, ``/`` or ``>``. The text
the rewriter judges must cover both readings, so it runs to the later of the two: the end tag
that closes the element in the markup reading (where every earlier ``</name`` is either in a
comment, a tag or an attribute, which the rewriter neutralises, or closes a nested one). An
integration point in its text (``<foreignObject>``, ``<mi>``...) holds HTML, whose raw text may
hide the end tag and whose elements keep it from closing the element: that is not followed, and
the text is judged as far as it goes (the script cap).

A script read as script data has one more way to run on: double escaping (``<!--`` then
``<script``), which the first ``</script`` the markup reading sees as an end tag only leaves.
:func:`double_escaped` tells when that happens, so that the rewriter can end it first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from .elements import MATH_IPS, SVG_IPS
from .script_data import script_end
from .tokenizer import comment_end, construct_end, self_closing_tag
from .vocabulary import BREAKOUT

__all__ = ["double_escaped", "markup_text_end", "raw_context"]

_DELIM = rb"(?=[\t\n\f\r />])"
#: Integration points (in either namespace, and an annotation-xml whatever its encoding: the safe
#: side), but ``title``, which group 3 finds.
_IPS: Final = (SVG_IPS | MATH_IPS) - {b"title"}
#: ``<name`` or ``</name`` followed by what ends a tag name (group 2), a start or end tag of another
#: element that an HTML parser reads as raw text (group 3), or of one that leaves foreign content
#: (group 4, with ``<svg>`` and ``<math>``, which enter it again): after it (an HTML ``<p>`` in an
#: SVG script) the rewriter reads such an element as raw text, and neutralises ``</name`` in its
#: text; or a CDATA section (group 5), which the rewriter ends at its first ``>``, with ``]]``
#: before it in foreign content (see the exact mode).
_TAGS: Final = {
    name: re.compile(
        rb"<(?:(/?)(?:("
        + name
        + rb")|(title|textarea|xmp|iframe|noembed|noframes|plaintext|"
        + other
        + rb")|("
        + b"|".join(sorted(BREAKOUT | _IPS | {b"font", b"svg", b"math", b"input", b"keygen", b"select"}))
        + rb"))"
        + _DELIM
        + rb"|(!\[cdata\[))"
    )
    for name, other in ((b"script", b"style"), (b"style", b"script"))
}
_SCRIPT_END: Final = re.compile(rb"</script(?=[\t\n\f\r />])")
_CDATA: Final = -2  # (see _tags)
_LEAVE_SELECT: Final = frozenset({b"input", b"keygen", b"textarea"})
_ROOTS: Final = (b"svg", b"math")
_EXITS: Final = frozenset({b"/svg", b"/math"})
_ANY_RAW: Final = frozenset(
    {b"title", b"textarea", b"xmp", b"iframe", b"noembed", b"noframes", b"plaintext", b"script", b"style"}
)
_RAW_ENDS: Final = {name: re.compile(b"</" + name + _DELIM) for name in _ANY_RAW}


def raw_context(foreign: bool, select: int, frameset: bool, root_end: bytes = b"") -> frozenset[bytes]:
    """The elements whose text the rewriter reads as raw text (or script data) inside a script or
    style it reads as markup: none in SVG/MathML (until a tag leaves it: there, ``/svg`` or
    ``/math`` when that end tag leaves it, ``root_end``), a ``<script>`` in a ``<select>``, a
    ``<noframes>`` after a ``<frameset>`` (which ignores the others: the rewriter reads a
    ``<script>`` there as markup, in a ``<select>`` too, and neutralises ``</script`` in tags)."""
    if foreign:
        return frozenset({b"/" + root_end}) if root_end else frozenset()
    return (frozenset({b"script"}) if select and not frameset else frozenset()) | (
        frozenset({b"noframes"}) if frameset else frozenset()
    )


def markup_text_end(
    low: bytes, start: int, n: int, name: bytes, skip: re.Pattern[bytes], raw: frozenset[bytes] = frozenset()
) -> int:
    """Where the text of the element ``name`` whose start tag ends at ``start`` ends, in both
    readings (see the module's text): the start of the end tag that closes it in the markup
    reading; -1 when ``low[:n]`` does not tell yet. ``skip``: the rewriter's data-state reader (it
    stops before every construct it does not complete); ``raw``: the elements the rewriter reads
    as raw text where this one is (:func:`raw_context`)."""
    depth = 0
    for q, end_tag, inside, end in _tags(low, start, n, name, skip, raw):
        if inside >= 0:
            continue
        if end_tag and depth == 0:
            return q
        if end < 0:
            return -1
        if end_tag:
            depth -= 1
        elif low[end - 2] != 47:  # ("<script/>" is closed at once in foreign content)
            depth += 1
    return -1


def double_escaped(
    low: bytes, start: int, n: int, skip: re.Pattern[bytes], raw: frozenset[bytes] = frozenset()
) -> bool:
    """True when the script data of a ``<script>`` whose start tag ends at ``start``, read as the
    rewriter writes it (``</script`` inside a comment, a tag or an attribute neutralised), is
    double escaped at the first ``</script`` that the markup reading sees as an end tag in
    ``low[:n]``, so that this end tag does not end the script there."""
    neutral: list[int] = []
    brackets: list[int] = []  # (where ']]' goes before a CDATA section's first '>')
    for q, end_tag, inside, end in _tags(low, start, n, b"script", skip, raw, select_ends=True):
        if inside >= 0:  # (every '</script' in that construct)
            neutral.extend(m.start() + 1 - start for m in _SCRIPT_END.finditer(low, q, inside))
            if end == _CDATA and not (low[inside - 3 : inside - 1] == b"]]" and inside - 3 >= q + 9):
                brackets.append(inside - 1 - start)
        elif end_tag:
            text = bytearray(low[start:q])
            for at in neutral:
                text[at] = 92  # ('<\script': neither '</script' nor '<script', as '<\/script')
            for at in reversed(brackets):
                text[at:at] = b"]]"
            return script_end(bytes(text) + b"</script>", 0, len(text) + 9, 0)[0] < 0
        elif end < 0:
            break
        else:  # (and in a start tag's attributes)
            neutral.extend(m.start() + 1 - start for m in _SCRIPT_END.finditer(low, q, end))
    # No end tag within the text judged (the cap): nothing is put after it, where a second
    # rewrite, which judges the same text, would put it again.
    return False


def _tags(
    low: bytes,
    start: int,
    n: int,
    name: bytes,
    skip: re.Pattern[bytes],
    context: frozenset[bytes],
    select_ends: bool = False,
) -> Iterator[tuple[int, bool, int, int]]:
    """Each ``<name`` and ``</name`` from ``start`` as the markup reading meets it, in ``low[:n]``:
    ``(where, an end tag, -1, where the tag ends or -1)`` for a tag (the search goes on after it
    only when it is complete); ``(where, _, end, _)`` for one that no reading may take for a tag
    of the element: the first inside a construct that ends at ``end`` (the search goes on after
    it), another tag, or the text of an element the rewriter reads as raw text (see :data:`_TAGS`),
    from its start tag to its first end tag as the rewriter's raw-text reading finds it (a
    ``</name`` in it is neutralised there), for the elements in ``context`` (:func:`raw_context`;
    all of them after a tag that leaves foreign content, or an ``</svg>`` or ``</math>`` that may
    close one the element is in, none after an ``<svg>`` or ``<math>``);
    ``(where, False, end, _CDATA)`` for a CDATA section in foreign content that ends at ``end``;
    ``(end, False, -1, -1)`` after the start tag of an integration point in foreign content, and
    no more.
    A ``</name`` in a ``<select>`` is one of those too (html5lib ignores it there), unless
    ``select_ends`` (where the rewriter takes it for an end tag). The search stops where the
    buffer does not tell."""
    tags = _TAGS[name]
    pos = start  # (a data-state position of the markup reading)
    at = start  # (where the search for the next tag goes on)
    select = False  # (in a <select>, where html5lib ignores '</name>')
    opened = [0, 0]  # (the <svg>, <math> opened in foreign content in the text, not closed since)
    exits = context & _EXITS  # (the end tag that leaves foreign content, if any)
    context = context - _EXITS
    while True:
        found = tags.search(low, at, n)
        if found is None or found.end() >= n:
            return  # (at the end of the buffer, "</scripts" may still come)
        q = found.start()
        e = skip.match(low, pos, q).end()  # type: ignore[union-attr]
        inside = -1
        while e < q:  # a construct starts at e: over it
            pos = comment_end(low, e, n) if low.startswith(b"<!--", e) else construct_end(low, e, n)
            if pos < 0:
                return
            if pos > q:
                inside = pos  # (q is inside it)
                break
            e = skip.match(low, pos, q).end()  # type: ignore[union-attr]
        if inside >= 0:
            yield q, bool(found.group(1)), inside, -1
            at = pos
            continue
        if found.group(5) is not None:
            end = low.find(b">", q, n) + 1
            if end <= 0:
                return
            yield q, False, end, -1 if context else _CDATA
            pos = at = end
            continue
        end = construct_end(low, q, n)
        other = found.group(3)
        if found.group(2) is not None:
            if not (select and found.group(1) and not select_ends):
                yield q, bool(found.group(1)), -1, end
            elif end >= 0:
                yield q, bool(found.group(1)), end, -1
            if name in context and not found.group(1) and end >= 0:
                # An HTML script or style: its text is script data or raw text, hidden to its end.
                close = _text_end(low, end, n, name)
                if close < 0:
                    return
                yield end, False, close, -1
                pos = at = close
                continue
        else:  # (another tag: what it holds is hidden too)
            if end >= 0:
                yield q, False, end, -1
            kind = found.group(4)
            if (
                not (context or found.group(1))
                and (kind in _IPS or other == b"title")
                and end >= 0
                and not self_closing_tag(low, q, end)
            ):
                # An integration point in foreign content: HTML in it (raw text that hides an end
                # tag, an element that keeps one from closing the element) is not followed here,
                # so where the element ends is not told.
                yield end, False, -1, -1
                return
            if kind == b"select":  # (a select ignores the end tags of other elements)
                select = not found.group(1)
            elif other is not None:
                if not found.group(1) and end >= 0:
                    if b"script" in context and other in _LEAVE_SELECT:  # (a textarea, in a select)
                        context = _ANY_RAW
                    if other in context:  # raw text, as the rewriter reads it: hidden to its end
                        close = _text_end(low, end, n, other)
                        if close < 0:
                            return
                        yield end, False, close, -1
                        pos = at = close
                        continue
            elif found.group(1):
                if kind in _ROOTS and not context:  # (in foreign content)
                    if opened[kind == b"math"]:
                        opened[kind == b"math"] -= 1
                    elif b"/" + kind in exits:  # (it closes what the element is in)
                        context = _ANY_RAW
            elif kind in _ROOTS:  # (into foreign content, or one more of them in it; '<svg/>': none)
                if end >= 0 and not self_closing_tag(low, q, end):
                    if context:
                        opened, exits = [0, 0], frozenset({b"/" + kind})
                    else:
                        opened[kind == b"math"] += 1
                    context = frozenset()
            elif (b"script" in context and kind in _LEAVE_SELECT) if context else kind not in _LEAVE_SELECT:
                context = _ANY_RAW  # (a breakout tag in foreign content, an <input> in a select)
        if end < 0:
            return
        pos = at = end


def _text_end(low: bytes, start: int, n: int, name: bytes) -> int:
    """Where the text of an HTML ``<script>`` (``</script`` being neutralised) or of another element
    read as raw text whose start tag ends at ``start`` ends in ``low[:n]`` (at its first end tag; a
    ``<plaintext>`` never ends); -1 when it does not tell."""
    if name == b"script":
        return script_end(low, start, n, 0, True)[0]
    found = _RAW_ENDS[name].search(low, start, n) if name != b"plaintext" else None
    return found.start() if found is not None and found.end() < n else -1
