"""Where the text of a ``<script>`` or ``<style>`` that the rewriter reads as markup ends.

Inside ``<svg>``/``<math>`` (and a ``<style>`` in ``<select>``) these elements are ordinary: their
text runs to the end tag that closes them, and a ``<script>`` inside a ``<script>`` is an element
of its own, closed by the first end tag after it. A parser that reads them as raw text instead
ends them at the first ``</script`` (``</style``) followed by a space, ``/`` or ``>``. The text
the rewriter judges must cover both readings, so it runs to the later of the two: the end tag
that closes the element in the markup reading (where every earlier ``</name`` is either in a
comment, a tag or an attribute, which the rewriter neutralises, or closes a nested one).
"""

from __future__ import annotations

import re
from typing import Final

from .tokenizer import comment_end, construct_end

__all__ = ["markup_text_end"]

#: ``<name`` or ``</name`` followed by what ends a tag name.
_TAGS: Final = {name: re.compile(rb"<(/?)" + name + rb"(?=[\t\n\f\r />])") for name in (b"script", b"style")}


def markup_text_end(low: bytes, start: int, n: int, name: bytes, skip: re.Pattern[bytes]) -> int:
    """Where the text of the element ``name`` whose start tag ends at ``start`` ends, in both
    readings (see the module's text): the start of the end tag that closes it in the markup
    reading; -1 when ``low[:n]`` does not tell yet. ``skip``: the rewriter's data-state reader (it
    stops before every construct it does not complete)."""
    tags = _TAGS[name]
    pos = start  # (a data-state position of the markup reading)
    at = start  # (where the search for the next tag of the name goes on)
    depth = 0
    while True:
        found = tags.search(low, at, n)
        if found is None or found.end() >= n:
            return -1  # (at the end of the buffer, "</scripts" may still come)
        q = found.start()
        e = skip.match(low, pos, q).end()  # type: ignore[union-attr]
        inside = False
        while e < q:  # a construct starts at e: over it
            pos = comment_end(low, e, n) if low.startswith(b"<!--", e) else construct_end(low, e, n)
            if pos < 0:
                return -1
            if pos > q:
                inside = True  # (q is inside it)
                break
            e = skip.match(low, pos, q).end()  # type: ignore[union-attr]
        if inside:
            at = pos
            continue
        if found.group(1) and depth == 0:
            return q
        end = construct_end(low, q, n)
        if end < 0:
            return -1
        if found.group(1):
            depth -= 1
        elif low[end - 2] != 47:  # ("<script/>" is closed at once in foreign content)
            depth += 1
        pos = at = end
