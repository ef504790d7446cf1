"""Tags nested at random inside ``<svg>``/``<math>``, read into the tree without a tree step each.

:data:`~.quiet.ORDINARY_GROUPS` reads repeated markup in bulk, but tags nested with no repetition
(a random walk of ``<g>``, ``<path>``, ``</path>``...) reach the tree one Python step each. Most of
them change nothing: an element opened and closed again with only such pairs between leaves the
stack as it found it, whatever stands on it (a foreign entry or, under an integration point, an
HTML one; the name may be one of those points), as long as the name is not a void element (not
pushed in HTML) or a breakout tag, and the stack stays shallower than it is followed. Only the
tags such pairs leave over reach :class:`~.tree.Tree`.

:func:`read_nesting` reads plain tags only -- ``<name>``, ``<name/>`` and ``</name>`` (spaces
before the ``>``), any text between -- cut at each ``<`` by :meth:`bytes.split`; each distinct
piece is classified once and becomes a small code; a start tag followed right away by its end
tag is cut out of the codes by :meth:`bytes.replace` (round after round), and what is left is
matched on a list, a short Python step per tag. It stops before anything else (a tag with
attributes, a comment, a breakout, void or special tag), for the group reader to go on with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import islice
from typing import Final

from .quiet import ORDINARY_GROUPS, SPECIAL_END, SPECIAL_START
from .tree import VOID, Tree
from .vocabulary import BREAKOUT

__all__ = ["read_nesting"]

#: A plain tag (the cheap test of whether the markup is worth splitting).
_PLAIN_TAG: Final = re.compile(rb"</?[a-z][a-z0-9-]*+[\t\n\f\r ]*+/?>")
#: One piece (what follows a ``<``): ``/`` of an end tag, name, ``/`` of a self-closing tag.
_PIECE: Final = re.compile(rb"(/?)([a-z][a-z0-9-]*+)[\t\n\f\r ]*+(/?)>")
#: Start tags it leaves to the group reader: special ones end the ordinary run, breakout tags may
#: end foreign content, void ones are not pushed under an integration point.
_NOT_PAIRED: Final = frozenset(SPECIAL_START).union(BREAKOUT, VOID)
_NOT_ENDED: Final = frozenset(SPECIAL_END)
#: The most bytes read per split (the splits double from the first, while the markup stays plain).
_MOST = 32768
#: A group of :data:`~.quiet.ORDINARY_GROUPS` this long (but ``tags``) is read in bulk there:
#: after each split, one that follows sends the markup back (repetitive markup mixed in).
_BULK = 256
#: Up to this many names, matched start and end tags are first cut out in bulk (:func:`_cancel`).
_CANCELLED = 16


def read_nesting(tree: Tree, low: bytes, pos: int, first: int, stop: int) -> int:
    """The plain tags from the ``<`` at ``pos`` (up to ``stop`` at most) read into ``tree``'s
    stack, which is not empty and not :attr:`~.tree.Tree.lost`; where it stopped (``pos`` when
    the first tag is not plain). ``first``: where the first split ends (a ``<``, or ``stop``):
    the markup a group of :data:`~.quiet.ORDINARY_GROUPS` would read tag by tag. What ``stop``
    leaves whole is read; no tag in it may load anything (that is the caller's, as for
    :func:`~.quiet.ordinary_run`)."""
    if not _PLAIN_TAG.match(low, pos, stop) or 4 * low.count(b"</", pos, first) < low.count(b"<", pos, first):
        return pos  # (not plain, or too few end tags to close what the start tags open)
    codes: dict[bytes, int] = {}  # piece -> 0 (nothing), 2k (start tag of name k), 2k + 1 (its end), -1
    names: dict[bytes, int] = {}
    by_code: dict[int, bytes] = {}
    at, end, bad = pos, first, False
    while True:
        room = tree.room  # (that many start tags may be pushed before the depth is reached)
        end = min(end, at + 8 * room)
        if end < stop and low[end] != 60:  # (end on a '<': every piece is followed by one)
            cut = low.rfind(b"<", at + 1, end)
            cut = cut if cut >= 0 else low.find(b"<", end, stop)
            end = cut if cut >= 0 else stop
        pieces = low[at + 1 : end].split(b"<")  # (what follows each '<')
        try:
            found = list(map(codes.__getitem__, pieces))
        except KeyError:  # (pieces not seen yet in this run)
            for piece in set(pieces).difference(codes):
                codes[piece] = _code(piece, names, by_code)
                bad = bad or codes[piece] < 0
            found = list(map(codes.__getitem__, pieces))
        whole = plain = len(found)
        if bad and -1 in found:
            plain = found.index(-1)
        if min(plain, room) < whole:
            del found[min(plain, room) :]
            end = at + len(found) + sum(map(len, islice(pieces, len(found))))
        _match(tree, _cancel(bytes(found), names) if len(names) <= _CANCELLED else found, by_code)
        if end == at or plain == len(found) < whole or end >= stop:
            return end  # (where a piece is not a plain tag: for the group reader)
        group = ORDINARY_GROUPS[tree.full].match(low, end, stop)
        if group is None or (group.lastgroup != "tags" and group.end() - end >= _BULK):
            return end  # (markup the group reader reads in bulk, or no plain tag)
        at, end = end, min(stop, end + min(2 * (end - at), _MOST))


def _code(piece: bytes, names: dict[bytes, int], by_code: dict[int, bytes]) -> int:
    """A piece's code: 0 for a tag that changes nothing here (self-closing), else as in
    :func:`read_nesting`; -1 when it is not a plain tag this module may read."""
    found = _PIECE.match(piece)
    if found is None:
        return -1
    slash, name, closing = found.groups()
    if name in (_NOT_ENDED if slash else _NOT_PAIRED) or (slash and closing):
        return -1
    if closing:
        return 0  # (a self-closing tag that is no breakout tag is not pushed: see Tree.ordinary)
    code = names.get(name)
    if code is None:
        code = names[name] = 2 * len(names) + 2
        by_code[code] = name
    return code + 1 if slash else code


def _cancel(codes: bytes, names: dict[bytes, int]) -> bytes:
    """``codes`` without the start tags their own end tag follows right away (and without the
    tags that change nothing), pair after pair and round after round while they are many: what
    :func:`_match` would cancel one Python step each, cut out by :meth:`bytes.replace`."""
    pairs = [bytes((code, code + 1)) for code in names.values()]
    codes = codes.replace(b"\0", b"")
    for _ in range(4):
        size = len(codes)
        for pair in pairs:
            codes = codes.replace(pair, b"")
        if 10 * len(codes) > 9 * size:
            break
    return codes


def _match(tree: Tree, codes: Sequence[int], by_code: dict[int, bytes]) -> None:
    """Start and end tags (their codes, in order) into the tree: an end tag that closes the start
    tag opened last in the run cancels it; any other goes to the tree (as the end tag of an
    element opened before the run when nothing is left open in it), after the start tags still
    open are pushed; those left at the end are pushed too."""
    opened = [0]  # (0 at the bottom: no end tag's code is 1)
    push, pop = opened.append, opened.pop
    for code in codes:
        if code & 1:
            if opened[-1] == code - 1:
                pop()
            else:
                _open(tree, opened, by_code)
                tree.end(by_code[code - 1])
        elif code:
            push(code)
    _open(tree, opened, by_code)


def _open(tree: Tree, opened: list[int], by_code: dict[int, bytes]) -> None:
    """Push the start tags left open (``opened`` past its bottom) and forget them."""
    if len(opened) > 1:
        tree.ordinary([(b"", by_code[code], b"", b"") for code in islice(opened, 1, None)])
        del opened[1:]
