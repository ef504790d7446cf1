"""The rewriter's tokenizer: compiled ``bytes`` regexes and pure functions over a lower-cased buffer.

How the rewriter finds tags without tokenizing the whole page: one compiled regex (a trie of the
names) jumps from one *candidate* to the next -- ``<script``, ``<iframe``, ``<noscript``, the
raw-text elements, comments (the *stateful* ones, after which the tokenizer's state changes) and
``<img``, ``<source``, ``<link``, ``<embed``, ``<object`` (the *passive* ones) -- and everything in
between is copied as one slice.

- A passive tag with no ``//``, ``\\``, ``&`` or ``data-cg-`` in it, or whose URLs the catalog
  does not know, is harmless and passed over at once: that it might not even be a tag (but text
  inside another tag's attribute value) does not matter.
- Any other candidate only counts if the HTML tokenizer would be in its data state there: the last
  ``>`` before it ends whatever construct it is in, unless it sits in a quoted attribute value,
  and inside a quoted value the last quote of its kind before it is the opening one, which only
  ``=`` and spaces can precede (:func:`in_data`). When that cheap check is not sure, an exact
  regex tokenizer (``SKIP_PRE``/``SKIP_POST``) reads the stretch since the last known data-state
  position.

Everything here is stateless; the state machine that drives it is :mod:`.rewriter`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from .quiet import QUIET_FOREIGN as _QUIET_FOREIGN
from .quiet import trie
from .script_data import DELIM, RAW_TAIL, script_end
from .vocabulary import PAGE_ELEMENTS, PASSIVE_LOADERS, RAW_TEXT_ELEMENTS

__all__ = [
    "CAND_POST",
    "CAND_PRE",
    "KINDS",
    "KIND_COMMENT",
    "KIND_DOCTYPE",
    "KIND_END",
    "KIND_EXACT",
    "KIND_IFRAME",
    "KIND_LINK",
    "KIND_MEDIA",
    "KIND_NOSCRIPT",
    "KIND_PAGE",
    "KIND_PLAIN",
    "KIND_RAW",
    "KIND_SCRIPT",
    "LETTERS",
    "NAME_STOP",
    "PASSIVE_KINDS",
    "QUIET_ELEMENT",
    "RAW_END",
    "RAW_TAIL",
    "SELF_CLOSING",
    "SKIP_POST",
    "SKIP_PRE",
    "TAG_NAME",
    "URL_BREAKS",
    "comment_close",
    "comment_end",
    "construct_end",
    "follow_tag",
    "in_data",
    "maybe_quoted",
    "script_end",
    "self_closing_tag",
    "tag_close",
    "tail",
]

# --- the candidates and the exact tokenizer, as regexes -------------------------------------------

_DELIM = DELIM
#: Start tags that change the tokenizer's state (or the rewriter's) after them.
_STATEFUL = (
    b"script", b"iframe", b"noscript", *RAW_TEXT_ELEMENTS, b"plaintext", b"svg", b"math", b"select", b"base",
    b"frameset",
)  # fmt: skip


def _alt(names: Iterable[bytes]) -> bytes:
    return b"|".join(names)


def _cand(names: tuple[bytes, ...], *, doctype: bool) -> re.Pattern[bytes]:
    """``<`` and one of ``names`` (``/name`` for an end tag), ``<!--``, or ``<!doctype``; no groups
    (they cost): the name is read back from the bytes."""
    return re.compile(
        rb"<(?:" + trie(names) + _DELIM + rb"|!--" + (rb"|!doctype" if doctype else b"") + rb")"
    )  # fmt: skip


#: An ``<svg>``/``<math>`` element that is plain markup to its end (see :mod:`.quiet`): not a
#: candidate. Matched whole from its ``<`` up to the first ``</svg>`` or ``</math>``; pages repeat
#: their icons, so the rewriter remembers the answer by the element's bytes (matching an icon
#: costs more than looking it up).
QUIET_ELEMENT: Final = re.compile(rb"<" + _QUIET_FOREIGN)


#: The attributes of a tag, exactly as the HTML tokenizer splits them (an unterminated quoted
#: value stops the match short of the closing ``>``, which is how an incomplete tag is told).
_ATTRS_SRC = (
    rb"(?:[\t\n\f\r /]++|(?>[^\t\n\f\r />][^\t\n\f\r />=]*+)"
    rb"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:\"[^\"]*+\"|'[^']*+'|(?![\"'])[^\t\n\f\r >]*+)|(?![\t\n\f\r ]*+=)))*+"
)
_ATTRS = re.compile(_ATTRS_SRC)


def _skip(start: tuple[bytes, ...], end: tuple[bytes, ...], doctype: bool) -> re.Pattern[bytes]:
    """The exact tokenizer, as one regex: consumes text, bogus comments and every tag but the
    stateful candidates, and stops at one of those, at a comment, or at a construct the buffer
    (or the ``endpos`` given) does not complete. A ``<`` of text is tried first (a run of them
    at once): a flood of ``<`` costs no more than text."""
    bogus = rb"[!?](?!--)" + (rb"(?!doctype)" if doctype else b"") + rb"[^>]*+>"
    return re.compile(
        rb"(?:[^<]++|<(?:<*(?=<)|(?=[^a-z!?/])|(?!(?:" + _alt(start) + rb")" + _DELIM + rb")[a-z][^\t\n\f\r />]*+"
        + _ATTRS_SRC + rb">|/(?!(?:" + _alt(end) + rb")" + _DELIM + rb")[a-z][^\t\n\f\r />]*+" + _ATTRS_SRC
        + rb">|" + bogus + rb"|/[^a-z>][^>]*+>|/>))*+"
    )  # fmt: skip


# Before the injection is placed, <html>/<head>/<body>, </head>, </body> and <!doctype> matter too.
CAND_PRE = _cand(
    (*_STATEFUL, *PASSIVE_LOADERS, *PAGE_ELEMENTS, b"/noscript", b"/head", b"/body"), doctype=True
)
CAND_POST = _cand((*_STATEFUL, *PASSIVE_LOADERS, b"/noscript"), doctype=False)
SKIP_PRE = _skip(_STATEFUL + PAGE_ELEMENTS, (b"noscript", b"head", b"body"), True)
SKIP_POST = _skip(_STATEFUL, (b"noscript",), False)

#: Bytes that may follow ``<`` to open a tag, an end tag, a comment or a bogus comment.
_OPENERS: Final = frozenset(b"abcdefghijklmnopqrstuvwxyz!?/")
LETTERS: Final = frozenset(b"abcdefghijklmnopqrstuvwxyz")
_WS: Final = frozenset(b"\t\n\f\r ")
#: Bytes a browser drops from a URL: a URL token ending in one always gets a full verdict.
URL_BREAKS: Final = frozenset(b"\t\n\r")

RAW_END = {name: re.compile(rb"</" + name + _DELIM) for name in (*RAW_TEXT_ELEMENTS, b"iframe")}

# The exact tag tokenizer, step by step, for a tag longer than the cap (followed while held back).
TAG_NAME, _BEFORE_ATTR, _ATTR_NAME, _AFTER_ATTR_NAME, _BEFORE_VALUE, _DQ, _SQ, _UNQUOTED = range(8)
#: After a ``/`` outside a value (the standard's self-closing start tag state): a tag that
#: :func:`follow_tag` ends in it is self-closing.
SELF_CLOSING: Final = 8
NAME_STOP = re.compile(rb"[\t\n\f\r />]")
_ATTR_NAME_STOP = re.compile(rb"[\t\n\f\r />=]")
_NOT_WS = re.compile(rb"[^\t\n\f\r ]")
_UNQUOTED_STOP = re.compile(rb"[\t\n\f\r >]")
#: Whole attributes from the before-attribute-name state, each known to end inside the buffer (a
#: value by its quote, or by a space or ``>``; a name by what follows it, not ``=``): after them
#: the tokenizer is in that state again (a ``/`` is passed only when a byte other than ``>``
#: follows it, so that a self-closing tag is seen as one).
_ATTR_RUN = re.compile(
    rb"(?:(?:[\t\n\f\r ]|/(?=[^>]))++|[^\t\n\f\r />][^\t\n\f\r />=]*+(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"
    rb"(?:\"[^\"]*+\"|'[^']*+'|[^\t\n\f\r >\"'][^\t\n\f\r >]*+(?=[\t\n\f\r >]))|(?=[\t\n\f\r ]*+[^\t\n\f\r =])))*+"
)


# --- what a candidate is --------------------------------------------------------------------------

(
    KIND_SCRIPT,
    KIND_MEDIA,
    KIND_LINK,
    KIND_IFRAME,
    KIND_RAW,
    KIND_PLAIN,
    KIND_NOSCRIPT,
    KIND_PAGE,
    KIND_END,
    KIND_COMMENT,
    KIND_DOCTYPE,
    KIND_EXACT,
) = range(12)
#: What a candidate is, by the bytes after its ``<``.
KINDS: Final = {
    b"/noscript": KIND_END,
    b"/head": KIND_END,
    b"/body": KIND_END,
    b"!--": KIND_COMMENT,
    b"!doctype": KIND_DOCTYPE,
    b"script": KIND_SCRIPT,
    b"img": KIND_MEDIA,
    b"source": KIND_MEDIA,
    b"embed": KIND_MEDIA,
    b"object": KIND_MEDIA,
    b"link": KIND_LINK,
    b"iframe": KIND_IFRAME,
    b"noscript": KIND_NOSCRIPT,
    b"plaintext": KIND_PLAIN,
    b"svg": KIND_EXACT,
    b"math": KIND_EXACT,
    b"select": KIND_EXACT,
    b"base": KIND_EXACT,
    b"frameset": KIND_EXACT,
    **dict.fromkeys(RAW_TEXT_ELEMENTS, KIND_RAW),
    **dict.fromkeys(PAGE_ELEMENTS, KIND_PAGE),
}
#: The kinds of the passive loaders: harmless unless they name a third party.
PASSIVE_KINDS: Final = (KIND_MEDIA, KIND_LINK)


# --- helpers (pure functions over the lower-cased buffer) ------------------------------------------


def tag_close(low: bytes, c: int, name_end: int, n: int) -> int:
    """Just after the ``>`` that ends the tag opened at ``c`` (in data state), or -1 when the
    buffer does not hold it. The first ``>`` ends it unless that one is inside a quoted value."""
    g = low.find(b">", name_end, n)
    if g >= 0 and not maybe_quoted(low, c, g):
        return g + 1
    e = _ATTRS.match(low, name_end).end()  # type: ignore[union-attr]
    return e + 1 if e < n and low[e] == 62 else -1


def construct_end(low: bytes, e: int, n: int) -> int:
    """Just after the construct (tag, end tag, bogus comment, or a ``<`` of text) that starts at
    ``e`` in data state; -1 when the buffer does not hold all of it."""
    second = low[e + 1] if e + 1 < n else -1
    if second in _OPENERS:
        if second in b"!?" or (second == 47 and (e + 2 >= n or low[e + 2] not in LETTERS)):
            end = low.find(b">", e)
            return end + 1 if end >= 0 else -1
        start = e + 2 if second == 47 else e + 1
        stop = NAME_STOP.search(low, start, n)
        return tag_close(low, e, stop.start(), n) if stop is not None else -1
    return e + 1 if second >= 0 else -1


def in_data(low: bytes, pos: int, c: int) -> bool:
    """True when ``c`` is surely in the tokenizer's data state, given that ``pos`` is and that no
    candidate starts in between; False means "not sure" (then the exact tokenizer decides).

    The last ``>`` before ``c`` ends whatever construct it is in (a tag, a bogus comment) unless it
    sits inside a quoted attribute value; after it, with no ``<`` up to ``c``, all is text.
    """
    t = low.rfind(b"<", pos, c)
    if t < 0:
        return True
    r = low.rfind(b">", t, c)
    return r >= 0 and not maybe_quoted(low, pos, r)


def maybe_quoted(low: bytes, pos: int, r: int) -> bool:
    """False when position ``r`` is surely not inside a quoted attribute value of a tag that
    started at or after ``pos`` (``pos`` being in data state).

    Inside a quoted value, the last quote of its kind before ``r`` is the one that opened it, and
    only ``=`` and whitespace can stand before an opening quote.
    """
    for quote in b'"', b"'":
        q = low.rfind(quote, pos, r)
        if q > pos:
            q -= 1
            while q > pos and low[q] in _WS:
                q -= 1
            if low[q] == 61:  # '='
                return True
    return False


def tail(low: bytes, pos: int, n: int, skip: re.Pattern[bytes]) -> int:
    """Where the buffer's unfinished tail starts (``n`` if it ends in data state); no candidate
    starts in ``[pos, n)``."""
    t = low.rfind(b"<", pos, n)
    if t < 0:
        return n
    if t + 1 == n or low[t + 1] in _OPENERS:  # else a '<' of text: let the exact path judge
        r = low.rfind(b">", t, n)
        if r >= 0:
            if not maybe_quoted(low, pos, r):
                return n
        elif in_data(low, pos, t):
            return t
    return skip.match(low, pos).end()  # type: ignore[union-attr]


def comment_end(low: bytes, c: int, n: int) -> int:
    """The end of the comment opened at ``c`` (``<!--``), or -1 when the buffer does not hold it."""
    if n - c < 6:
        if n - c == 5 and low[c + 4] == 62:
            return c + 5
        return -1
    if low[c + 4] == 62:  # <!-->
        return c + 5
    if low[c + 4] == 45 and low[c + 5] == 62:  # <!--->
        return c + 6
    return comment_close(low, c + 4, n)


def comment_close(low: bytes, start: int, n: int) -> int:
    """Just after the first ``-->`` or ``--!>`` from ``start``, or -1."""
    a = low.find(b"-->", start, n)
    b = low.find(b"--!>", start, a if a >= 0 else n)
    if b >= 0:
        return b + 4
    return a + 3 if a >= 0 else -1


def self_closing_tag(low: bytes, c: int, n: int) -> bool:
    """Whether the start tag at ``c`` (complete in ``low[:n]``) is self-closing, as
    :func:`follow_tag` reads it (for a tag over the cap, whole or cut by a chunk alike)."""
    return follow_tag(low, c + 1, n, TAG_NAME)[1] == SELF_CLOSING


def follow_tag(low: bytes, i: int, n: int, state: int) -> tuple[int, int]:
    """Follow the HTML tokenizer through a tag from ``state`` at ``i``: ``(end, state)`` with
    ``end`` just after the closing ``>``, or -1 and the state at ``n``."""
    while i < n:
        if state == SELF_CLOSING:
            if low[i] == 62:
                return i + 1, state
            state = _BEFORE_ATTR  # (reconsumed)
        if state == _BEFORE_ATTR:  # whole attributes at once (a tag may hold a million)
            i = _ATTR_RUN.match(low, i, n).end()  # type: ignore[union-attr]
            if i >= n:
                break
        if state in (TAG_NAME, _ATTR_NAME):
            m = (NAME_STOP if state == TAG_NAME else _ATTR_NAME_STOP).search(low, i, n)
            if m is None:
                return -1, state
            j = m.start()
            ch = low[j]
            i = j + 1
            if ch == 62:
                return i, state
            if ch == 61:
                state = _BEFORE_VALUE
            elif ch == 47:
                state = SELF_CLOSING
            elif state == TAG_NAME:
                state = _BEFORE_ATTR
            else:
                state = _AFTER_ATTR_NAME
        elif state in (_BEFORE_ATTR, _AFTER_ATTR_NAME):
            m = _NOT_WS.search(low, i, n)
            if m is None:
                return -1, state
            j = m.start()
            ch = low[j]
            i = j + 1
            if ch == 62:
                return i, state
            if state == _AFTER_ATTR_NAME and ch == 61:
                state = _BEFORE_VALUE
            elif ch == 47:
                state = SELF_CLOSING
            else:
                state = _ATTR_NAME
        elif state == _BEFORE_VALUE:
            m = _NOT_WS.search(low, i, n)
            if m is None:
                return -1, state
            j = m.start()
            ch = low[j]
            if ch == 62:
                return j + 1, state
            if ch == 34:
                state, i = _DQ, j + 1
            elif ch == 39:
                state, i = _SQ, j + 1
            else:
                state, i = _UNQUOTED, j
        elif state in (_DQ, _SQ):
            j = low.find(b'"' if state == _DQ else b"'", i, n)
            if j < 0:
                return -1, state
            state, i = _BEFORE_ATTR, j + 1
        else:  # _UNQUOTED
            m = _UNQUOTED_STOP.search(low, i, n)
            if m is None:
                return -1, state
            j = m.start()
            i = j + 1
            if low[j] == 62:
                return i, state
            state = _BEFORE_ATTR
    return -1, state
