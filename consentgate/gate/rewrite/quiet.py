"""Markup that changes nothing but the tree, as regexes (C speed).

Pages carry many inline SVG icons; reading each one tag by tag (:mod:`.exact`) would cost a Python
step per tag. :data:`QUIET_FOREIGN` matches (after the ``<``) an element that is plain markup to its
end tag, and the candidate regexes of :mod:`.tokenizer` do not stop at one.

The exact mode itself (inside ``<svg>``, ``<select>``, ``<noscript>``...) reads constructs one by
one only where one may matter: :func:`ordinary_run` matches the stretch of *ordinary* markup ahead
(text, comments, tags that can load nothing and change no reading), and :data:`ORDINARY_TAGS`
lists its tags, for the tree (plain tags nested at random: :mod:`.nesting`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, Final

from .elements import TABLE_PARTS
from .tree import VOID
from .vocabulary import BREAKOUT, PAGE_ELEMENTS, PASSIVE_LOADERS, RAW_TEXT_ELEMENTS

__all__ = [
    "END_NAMES",
    "ORDINARY_GROUPS",
    "ORDINARY_TAGS",
    "QUIET_FOREIGN",
    "RAW_LEAVES",
    "SPECIAL_END",
    "SPECIAL_START",
    "ordinary_run",
    "trie",
]

#: An ``<svg>``/``<math>`` that is plain markup to its end (the icons pages are full of): only
#: ordinary tags and text, no quote holding ``<``/``>``, no ``:``, ``//``, ``&``, backslash or
#: ``data-cg``, no tag that could leave foreign content or switch the tokenizer. It is no
#: candidate: nothing in it can change a reading or load anything.
_PLAIN = rb"[^<>\"'&\\:/]|/(?![/>])"
_VALUE = rb"=[\t\n\f\r ]*+(?:\"(?:[^\"<>&\\:/]|/(?!/))*+\"|'(?:[^'<>&\\:/]|/(?!/))*+'|[a-z0-9#.%-]++)"
_QUIET_TAG = (
    rb"<(?!(?:/?(?:svg|math|foreignobject|desc|title|annotation-xml|mi|mo|mn|ms|mtext|font|br|p|script|style"
    rb"|textarea|xmp|iframe|noembed|noframes|noscript|plaintext|template|select|image|a|use)|"
    + b"|".join(sorted(BREAKOUT))
    + rb")[\t\n\f\r />])"
    rb"(?:[a-z][a-z0-9-]*+(?:[\t\n\f\r ]++(?!data-cg|on)[a-z][a-z0-9_-]*+(?:"
    + _VALUE
    + rb")?)*+[\t\n\f\r ]*+/?>"
    rb"|/[a-z][a-z0-9-]*+[\t\n\f\r ]*+>)"
)
_QUIET_BODY = (
    rb"(?:[\t\n\f\r ]++(?!data-cg|on)[a-z][a-z0-9_-]*+(?:" + _VALUE + rb")?)*+[\t\n\f\r ]*+>"
    rb"(?:" + _PLAIN + rb"|" + _QUIET_TAG + rb")*+"
)
#: (Closed by its own end tag: ``</math>`` leaves an ``<svg>`` open, and what follows is in it.)
QUIET_FOREIGN = rb"(?:svg" + _QUIET_BODY + rb"</svg>|math" + _QUIET_BODY + rb"</math>)"

# --- ordinary markup in the exact mode ---------------------------------------------------------------

#: Start tags the exact mode treats apart: those that switch the tokenizer, enter or leave
#: ``<select>`` or foreign content (but the breakout tags, see :meth:`~.tree.Tree.ordinary`), set the
#: base URL, mark the page, are recorded, or start a frameset (after which raw-text start tags may
#: be ignored: see :meth:`~.exact.ExactMode._exact_tag`).
SPECIAL_START: Final = (
    *RAW_TEXT_ELEMENTS, *PAGE_ELEMENTS, *PASSIVE_LOADERS, b"font", b"svg", b"math",
    b"select", b"input", b"keygen", b"script", b"iframe", b"noscript", b"plaintext", b"template",
    b"base", b"frameset",
)  # fmt: skip
#: End tags it treats apart: those that may end raw text another reading sees (neutralised end
#: tags), leave foreign content or ``<select>``, or place the injection.
SPECIAL_END: Final = (
    *RAW_TEXT_ELEMENTS, *PAGE_ELEMENTS, b"script", b"iframe", b"noscript", b"plaintext", b"svg",
    b"math", b"select",
)  # fmt: skip
_WS = rb"[\t\n\f\r ]"
#: An ordinary tag's name, attributes and values: as the HTML tokenizer reads them, but only the
#: plain forms (no ``>`` in a value, so that the first ``>`` ends the tag; an unquoted value without
#: ``/`` and ended by a space or ``>``, so that a ``/>`` makes the tag self-closing).
_NAME = rb"[a-z][^\t\n\f\r />]*+"
_ATTR_NAME = rb"[^\t\n\f\r />=\"'<][^\t\n\f\r />=\"'<]*+"
_ATTR_VALUE = rb"(?:\"[^\">]*+\"|'[^'>]*+'|[^\t\n\f\r >\"'<=`/]++(?=[\t\n\f\r >]))"
#: (Not one whose ``<!--`` a NUL follows: html5lib and browsers end it apart, see the exact mode.)
_COMMENT = rb"<!--(?!\x00)(?:-?>|(?:[^-]|-(?!-!?>))*+--!?>)"
#: The tags of an ordinary run (``findall`` over exactly the run): ``(b"/" for an end tag, name,
#: b"/" when self-closing, b">" when its own end tag follows with only text between)``. The text
#: and comments before a tag go with it (so that no tag is found inside a comment); the run's
#: tail gives ``(b"", b"", b"", b"")``.
ORDINARY_TAGS: Final = re.compile(
    rb"(?:[^<]++|<!--(?:-?>|(?:[^-]|-(?!-!?>))*+--!?>)|<(?![a-z]|/[a-z]|!--))*+"
    rb"(?:<(/?)([a-z][^\t\n\f\r />]*+)(?:[^>/]++|/(?!>))*+(/?)>(?:(?<!/>)[^<]*+</\2[\t\n\f\r ]*+(>))?|\Z)"
)


def trie(words: Iterable[bytes]) -> bytes:
    """An alternation of ``words`` factored by prefix (``s(?:cript|tyle)``): the regex engine then
    tries one branch per byte instead of every word at every position."""
    tree: dict[int, Any] = {}
    for word in words:
        node = tree
        for byte in word:
            node = node.setdefault(byte, {})
        node[-1] = {}

    def emit(node: dict[int, Any]) -> bytes:
        ends = -1 in node
        branches = [re.escape(bytes([b])) + emit(child) for b, child in sorted(node.items()) if b >= 0]
        if not branches:
            return b""
        body = branches[0] if len(branches) == 1 and not ends else b"(?:" + b"|".join(branches) + b")"
        return body + (b"?" if ends else b"")

    return emit(tree)


def _factored(words: Iterable[bytes]) -> bytes:
    """:func:`trie`, behind a byte class of the words' first bytes: most bytes start no word, and
    one class test tells."""
    words = list(words)
    firsts = b"".join(re.escape(bytes([b])) for b in sorted({word[0] for word in words}))
    return b"(?=[" + firsts + b"])" + trie(words)


#: Elements that make an HTML parser read raw text, but that the exact mode may read as markup
#: (see :meth:`~.exact.ExactMode._exact_tag`); closed right after plain text, none leaves a trace.
RAW_LEAVES: Final = frozenset({b"xmp", b"title", b"iframe", b"noembed", b"noframes"})


@functools.lru_cache(maxsize=64)
def ordinary_run(leaves: frozenset[bytes] = frozenset(), table: bool = False) -> re.Pattern[bytes]:
    """Ordinary markup: text, ``<`` of text, comments, and start and end tags that change
    nothing but the tree's stack (see :meth:`~.tree.Tree.ordinary`). Matched at a data-state
    position, it stops at the first construct that may matter or that the buffer does not
    complete. Two things are the caller's: that no tag is over the cap (a match no longer than
    the cap), and that no tag loads anything (the match ends before the first position that
    :func:`~.tagging.next_trigger` gives, or an ``srcdoc``: every match of the rewriter's ``HOT``
    regex holds one, so no tag it would flag is in the run).

    ``leaves`` (some of :data:`RAW_LEAVES`): those elements too, when their end tag follows their
    start tag with only text between -- for the caller to give only where that is so (with an
    empty stack, outside raw text, the name not among the end tags being neutralised). ``table``:
    no start or end tag of a table's parts either (in a ``<select>``, they may end it)."""
    attributes = (
        rb"(?:" + _WS + rb"++" + _ATTR_NAME + rb"(?:" + _WS + rb"*+=" + _WS + rb"*+" + _ATTR_VALUE + rb")?+)*+"
        + _WS + rb"*+/?>"
    )  # fmt: skip
    parts = tuple(sorted(TABLE_PARTS)) if table else ()
    starts, ends = (*SPECIAL_START, *parts), (*SPECIAL_END, *parts)
    start = rb"<(?=[a-z])(?!%s[\t\n\f\r />])" % _factored(starts) + _NAME + attributes
    other = rb"<(?:<*(?=<)|(?=[^a-z!?/])|" + _COMMENT[1:]  # (a run of '<' before a '<' is text)
    other += rb"|/(?!%s[\t\n\f\r />])" % _factored(ends) + _NAME + _WS + rb"*+>"
    if leaves:
        other += (
            rb"|(%s)(?=[\t\n\f\r />])" % b"|".join(sorted(leaves))
            + attributes
            + rb"[^<]*+</\1"
            + _WS
            + rb"*+>"
        )
    # (Start tags first: the most frequent; the alternatives exclude each other.)
    return re.compile(rb"(?:[^<]++|" + start + rb"|" + other + rb"))*+")


def _ordinary_groups(leaves: bool) -> re.Pattern[bytes]:
    """See :data:`ORDINARY_GROUPS`."""
    attributes = (
        rb"(?:" + _WS + rb"++" + _ATTR_NAME + rb"(?:" + _WS + rb"*+=" + _WS + rb"*+" + _ATTR_VALUE + rb")?+)*+"
        + _WS + rb"*+"
    )  # fmt: skip
    # (Values without '<', so that each '<' of a run of tags of one name starts one of them.)
    plain = attributes.replace(rb"[^\">]", rb"[^\"><]").replace(rb"[^'>]", rb"[^'><]")
    ordinary = rb"<(?=[a-z])(?!%s[\t\n\f\r />])" % _factored(SPECIAL_START)
    breakout = rb"(?:%s)[\t\n\f\r />]" % trie(BREAKOUT)
    end = rb"</(?!%s[\t\n\f\r />])" % _factored(SPECIAL_END)
    quiet = (
        rb"(?:[^<]++|<(?:<*(?=<)|(?=[^a-z!?/])|" + _COMMENT[1:] + rb")|"
        + ordinary + rb"(?!" + breakout + rb")" + _NAME + attributes + rb"/>"
    )  # fmt: skip
    quiet += rb")"
    first = quiet  # (the first alternative: a group of them)
    if leaves:  # (an element closed right after text, but a void one: see Tree.ordinary)
        first = (
            quiet[:-1] + rb"|" + ordinary + rb"(?!" + breakout + rb"|(?:%s)[\t\n\f\r />])" % trie(VOID)
            + rb"(?P<leaf>" + _NAME + rb")" + attributes + rb">[^<]*+</(?P=leaf)" + _WS + rb"*+>)"
        )  # fmt: skip
    tag = (
        rb"(?:" + ordinary + _NAME + attributes + rb"/?+>"  # ('/>' only for a breakout tag, see quiet)
        + rb"|" + end + _NAME + _WS + rb"*+>)"
    )  # fmt: skip
    name = rb"[a-z][a-z0-9_:-]*+"
    return re.compile(
        first + rb"++"
        # (A unit that ends in a '<' of text, read so for the '<' after it, is no unit when its
        # last copy is followed by a tag: a copy repeats the bytes, not the lookahead.)
        rb"|(?P<unit>(?:" + tag + quiet + rb"*+){1,4}?)(?P=unit)++(?<!<)"
        rb"|" + ordinary + rb"(?P<starts>" + name + rb")" + plain + rb">(?:[^<]*+<(?P=starts)" + plain + rb">)++"
        rb"|" + end + rb"(?P<ends>" + name + rb")" + _WS + rb"*+>(?:[^<]*+</(?P=ends)" + _WS + rb"*+>)++"
        rb"|(?P<closes>(?:" + end + _NAME + _WS + rb"*+>[^<]*+){2,}+)"
        rb"|(?P<tags>(?:" + tag + quiet + rb"*+){1,32}+)"
    )  # fmt: skip


#: Ordinary markup (what :func:`ordinary_run` matches, no more) cut into groups for the tree, one
#: match each, contiguous from where the run begins (``finditer``) until something else follows.
#: A group is text, comments, self-closing tags other than the breakout tags and elements closed
#: after text (but breakout and void ones) -- nothing :meth:`~.tree.Tree.ordinary` acts on, while
#: the stack is not as deep as it is followed (the second pattern is for then) -- or tags that may
#: change the stack (:attr:`~re.Match.lastgroup` tells which): ``unit``,
#: one to four tags (with what follows them up to the next tag) repeated byte for byte; ``starts``,
#: start tags of one name repeated with only text between (their attributes may differ), the
#: name captured, as many as the match has ``<``; ``ends``, the same with end tags; ``closes``, end
#: tags of any names with only text between (:data:`END_NAMES` lists them); else ``tags``, up to
#: 32 tags of any kind, for :data:`ORDINARY_TAGS` (or, from there on, plain tags for
#: :func:`~.nesting.read_nesting`).
ORDINARY_GROUPS: Final = (_ordinary_groups(True), _ordinary_groups(False))
#: The names of a ``closes`` group's end tags.
END_NAMES: Final = re.compile(rb"</([^\t\n\f\r />]++)")

# Compiled now, not on the first page that needs them (a few milliseconds each).
ordinary_run()
ordinary_run(RAW_LEAVES)
