"""Which readings of a page have a ``<select>`` open, as :attr:`~.tree.Tree.select` keeps it.

Parsers part ways inside a select: html5lib (the HTML standard before 2025) ignores an ``<svg>``
or ``<math>`` there and reads a ``<script>`` in it as script data, where a current parser reads
foreign content; in a select in a table, a table's start or end tag ends the select. After that,
one reading may have ended the select where another has not, and a second ``<select>`` opens one
in the first and ends it in the other. The tree does not follow each reading: it keeps the select
open while any of them may have it open (in a select the rewriter reads the raw-text elements of
every reading as markup, and a script as script data, as all of them do), which is the safe side.

The state is a small int (0: no select): :data:`OPEN`, with the flags :data:`PARTED` (some reading
may have ended it, so a ``<select>`` does not end it for all) and :data:`HELD` (a reading is in the
script data of a ``<script>`` the rewriter reads as markup, where no tag ends the select, up to
the first ``</script`` end tag).
"""

from __future__ import annotations

from typing import Final

from .elements import TABLE_PARTS

__all__ = ["HELD", "OPEN", "PARTED", "select_after_end", "select_after_start"]

OPEN: Final = 1
PARTED: Final = 2
HELD: Final = 4
_LEAVE: Final = frozenset({b"input", b"keygen", b"textarea"})


def select_after_start(select: int, name: bytes, inside: bool) -> int:
    """``select`` (not 0) after the start tag ``name``; ``inside``: in foreign content (which an
    older reading did not enter: every SVG/MathML element opened in a select set :data:`PARTED`)."""
    if inside:
        return select | HELD if name == b"script" else select
    if name == b"select":  # (ends it, and opens none; where another reading had ended it, opens one)
        return 0 if select == OPEN else select | PARTED
    if name in _LEAVE:
        return select | PARTED if select & HELD else 0
    if name in TABLE_PARTS or name in (b"svg", b"math"):
        return select | PARTED
    return select


def select_after_end(select: int, name: bytes, inside: bool) -> int:
    """``select`` (not 0) after the end tag ``name`` (``inside``: as for a start tag)."""
    if name == b"script":
        return select & ~HELD
    if inside:
        return select
    if name == b"select":
        return select if select & HELD else 0
    return select | PARTED if name in TABLE_PARTS else select
