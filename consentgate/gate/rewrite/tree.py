"""The little of the HTML standard's tree construction that decides where the tokenizer is.

Inside ``<svg>`` and ``<math>`` (foreign content) ``<title>``, ``<style>``, ``<script>``... are
ordinary elements; inside ``<select>`` older parsers ignore them; inside ``<noscript>`` a browser
with scripting on reads raw text and one with scripting off reads markup. The rewriter must
find every tag that is live in *any* of those readings, so it follows the one that reads the
most markup (data state) and, for each element another reading would take as raw text up to its
end tag, remembers that end tag's name: every such end tag that the followed reading sees
*inside* something (a comment, an attribute, other raw text) is neutralised (``</x`` becomes
``<\\/x``), so that the raw-text reading ends where the followed one does.

:class:`Tree` keeps the stack of open SVG/MathML elements (and of the HTML elements opened in
their integration points), so that it knows when foreign content ends. Its mistakes may only go
one way: it may believe foreign content lasts longer than it does (which reads more markup, and
is safe), never shorter.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import chain
from operator import itemgetter
from typing import Final

from .attributes import font_breaks
from .elements import BODY_IGNORES, MATH_IPS, RAW_CAPABLE, SPECIAL, SVG_IPS, VOID
from .select_readings import OPEN, select_after_end, select_after_start
from .vocabulary import BREAKOUT, SELECT_KEEPS

__all__ = ["RAW_CAPABLE", "VOID", "Tree"]

_FOREIGN, _IP, _HTML, _LOST = 0, 1, 2, 3
#: How deep the stack is followed. The first element it cannot keep puts a mark on top of it (a
#: ``_LOST`` entry): the elements under the mark are no longer those a parser has open (the end
#: tag of one it did not keep would close an outer namesake, a breakout tag would pop elements
#: that stand under an integration point it did not keep), so from then on nothing is closed or
#: popped, and foreign content is believed to last to the end of the page: the safe side. The
#: mark also goes where parsers' stacks part ways (:meth:`Tree._ip_by_name`).
_DEPTH: Final = 4096
#: The mark, as it is on the stack (kept by :attr:`Tree.stack`, so in a rewriter's snapshot too).
_MARK: Final = (b"", _LOST)
_NAME: Final = itemgetter(0)
_RAW: Final = RAW_CAPABLE - {b"noscript"}  # (a <noscript> is markup with scripting off)


class Tree:
    """Foreign content and ``<select>``, as far as they change what the tokenizer does.

    ``stack`` is the list of open elements, ``(name, kind)`` from the outermost; it is indexed
    (where each name sits, where the HTML elements and the barriers an end tag stops at are), so
    that an end tag costs the same however deep the stack is.
    """

    __slots__ = ("_barriers", "_foreign_at", "_html", "_html_at", "_low", "_math", "_stack", "select")

    def __init__(self) -> None:
        self._stack: list[tuple[bytes, int]] = []
        self._math: list[bool] = []  # per entry: a MathML element (else SVG, or HTML)
        self._foreign_at: dict[bytes, list[int]] = {}  # name -> its SVG/MathML entries (and IPs)
        self._html_at: dict[bytes, list[int]] = {}  # name -> its HTML entries
        self._html: list[int] = []  # the HTML entries
        self._barriers: list[int] = []  # the entries HTML's end tag stops at: IPs, special HTML
        self._low = 0  # the lowest length the stack was cut to since it was last set (see repeat)
        self.select = 0  # (which readings have a <select> open: see select_readings)

    @property
    def stack(self) -> list[tuple[bytes, int]]:
        """The open elements, outermost first (read only: assign a new list to replace it)."""
        return self._stack

    @stack.setter
    def stack(self, entries: list[tuple[bytes, int]]) -> None:
        self._stack, self._math = [], []
        self._foreign_at, self._html_at, self._html, self._barriers = {}, {}, [], []
        for name, kind in entries:
            self._push(name, kind)

    @property
    def lost(self) -> bool:
        """Deeper than the stack is followed: nothing closes any more (see :data:`_DEPTH`)."""
        return bool(self._stack) and self._stack[-1][1] == _LOST

    @property
    def foreign(self) -> bool:
        """Inside an ``<svg>`` or ``<math>`` element (its integration points included)."""
        return bool(self._stack)

    def start(self, name: bytes, low_tag: bytes, self_closing: bool) -> bool:
        """A start tag; True when it is read as an SVG/MathML element (so no raw text after it)."""
        stack = self._stack
        if select := self.select:
            self.select = select_after_start(select, name, bool(stack))
        if stack:
            top = stack[-1][1]
            if top == _LOST:  # (a breakout tag is an HTML element wherever it stands)
                return name in (b"svg", b"math") or (stack[-2][1] == _FOREIGN and name not in BREAKOUT)
            if top == _FOREIGN and (name in BREAKOUT or (name == b"font" and font_breaks(low_tag))):
                # Out to the nearest integration point or HTML element (every such entry is in
                # _html or _barriers), or out of foreign content.
                html, barriers = self._html, self._barriers
                self._cut(max(html[-1] if html else -1, barriers[-1] if barriers else -1) + 1)
                if not stack:
                    return False
                top = stack[-1][1]
            if top == _FOREIGN:
                if not self_closing:
                    self._push(name, _IP if name in self._ips() else _FOREIGN)
                return True
        elif select and name not in SELECT_KEEPS and name not in (b"svg", b"math"):
            # Ignored by older parsers, parsed by current ones: data either way. (Current parsers
            # read <svg>/<math> in a select as foreign content, which can load.)
            return False
        if name in (b"svg", b"math"):
            if not self_closing:
                self._push(name, _FOREIGN)
            return True
        if stack:
            found = self._html_at.get(b"select") if name == b"select" else None
            if found and all(kind == _HTML for _, kind in stack[found[-1] + 1 :]):
                self._cut(found[-1])  # (a select in a select ends it, and opens none)
            elif name == b"select" and select:
                return False  # (it ends the select outside, and foreign content: staying is the safe side)
            elif not self_closing and name not in VOID and not (name in _RAW and name in self._html_at):
                self._push(name, _HTML)  # (an HTML element of raw text holds only text: no namesake)
        elif name == b"select" and not select:
            self.select = OPEN
        return False

    def end(self, name: bytes) -> None:
        """An end tag."""
        if self.select:
            self.select = select_after_end(self.select, name, bool(self._stack))
        if not self._stack or self._stack[-1][1] == _LOST:
            return
        # (``</p>``, ``</br>`` leave foreign content in the current standard, not in older parsers: stay.)
        # Foreign content: the nearest element of that name above the nearest HTML element.
        found = self._foreign_at.get(name)
        if found and found[-1] > (self._html[-1] if self._html else -1):
            self._cut(found[-1])
            return
        # Then HTML's "any other end tag": the nearest HTML element of that name, unless an
        # integration point or a special element stands above it.
        found, select = self._html_at.get(name), self._html_at.get(b"select")
        if found and found[-1] >= (self._barriers[-1] if self._barriers else -1):
            self._cut(found[-1])
        elif not select or any(kind != _HTML for _, kind in self._stack[select[-1] :]):
            self._ip_by_name(name)  # (in a select, every parser ignores it: '<desc><select></svg>')
        # Nothing matched: it may close an element outside, foreign content too; staying is the safe side.

    def _ip_by_name(self, name: bytes) -> None:
        """An end tag that closes no HTML element: the standard ignores it at the integration point it
        meets, but html5lib's walk up the stack (names matched without namespaces) stops only at HTML's
        special elements and a foreignObject: it closes an SVG ``<title>``, a MathML ``<mi>`` or an
        element above such integration points, and reads on in its parent's namespace. The tree closes
        it and puts the mark on top (:data:`_DEPTH`): a start tag under the parent is judged as SVG/MathML
        and as HTML then; past HTML's special elements too (html5lib ignores some: a ``<td>`` outside a
        table) and over 16 barriers, the safe side. The root stays open; in raw text, it is text."""
        found = self._foreign_at.get(name)
        if not found or not found[-1]:
            return
        stack, at = self._stack, bisect_right(self._barriers, found[-1])
        above = self._barriers[at : at + 17]  # (more than 16: believed to walk past them)
        walks = len(above) > 16 or all(stack[b][0] != b"foreignobject" for b in above)
        if stack[found[-1]][1] == _IP or (walks and not self.in_raw_text):
            self._cut(found[-1])
            self._push(name, _LOST)

    def ordinary(self, tags: list[tuple[bytes, bytes, bytes, bytes]]) -> None:
        """Tags that change nothing but the stack, as :data:`~.quiet.ORDINARY_TAGS` finds them:
        ``(b"/" or b"", name, b"/" when self-closing, b">" when its end tag follows after text)``,
        all ``b""`` for a comment. No ``font``, ``svg``, ``math``, ``select``, control that ends
        it, ``</svg>``, ``</math>`` or ``</select>`` is among them: :attr:`select` stays as it is."""
        stack = self._stack
        push = self._push
        foreign_at, html_at = self._foreign_at, self._html_at
        for slash, name, closing, leaf in tags:
            if slash:
                if name in foreign_at or name in html_at:  # (else it closes nothing)
                    self.end(name)
                    # An end tag's "end tag follows" is a second end tag of that name.
                    if leaf and (name in foreign_at or name in html_at):
                        self.end(name)
            elif not name:
                continue
            elif name in BREAKOUT:
                self.start(name, b"", bool(closing))
                if leaf:
                    self.end(name)
            elif closing or not stack:
                continue
            elif stack[-1][1] == _FOREIGN or name not in VOID:
                # (A leaf is pushed and closed again: the stack is as it was, unless the push
                # does not fit; on the mark, _push changes nothing.)
                if not leaf or len(stack) >= _DEPTH:
                    push(
                        name, _HTML if stack[-1][1] != _FOREIGN else _IP if name in self._ips() else _FOREIGN
                    )
            elif leaf:
                self.end(name)

    def repeat(self, tags: list[tuple[bytes, bytes, bytes, bytes]], times: int) -> None:
        """:meth:`ordinary` of ``tags`` ``times`` over, in bulk once a reading does what the last did.

        A reading is a function of the stack. One after which the stack is as it found it (what
        it cut, it pushed again) changes nothing, and neither will the next. One that cuts
        nothing below where it began and pushes the entries (names, kinds, namespaces) the
        previous reading pushed saw, at each of its tags, the stack the previous one saw above
        their common part, and below it the previous one's entries again (same names, so no end
        tag that found nothing then finds something now, and the nearest HTML element or barrier
        is the previous one's counterpart): the next reading pushes them again, and so on.
        Readings that only close elements, each the top one (an end tag named as the top entry
        closes exactly it), are checked against the stack's names in one comparison."""
        stack, math = self._stack, self._math
        ends = [
            name for slash, name, _, leaf in tags if slash for name in ((name, name) if leaf else (name,))
        ]
        # After the previous reading: where it cut to, what stands above that, and whether it
        # cut nothing below where it began.
        previous: tuple[int, list[tuple[bytes, int]], list[bool], bool] | None = None
        done = 0
        while done < times and stack and stack[-1][1] != _LOST:
            begin = self._low = len(stack)
            self.ordinary(tags)
            done += 1
            low = self._low
            if previous is not None and low >= previous[0]:
                if stack[previous[0] :] == previous[1] and math[previous[0] :] == previous[2]:
                    return  # (the stack is as this reading found it: so it stays)
            elif low == begin == len(stack):
                return
            if low == begin and previous is not None and previous[3]:
                if stack[begin:] == previous[1] and math[begin:] == previous[2]:
                    done += self._push_copies(previous[1], previous[2], times - done, len(tags))
            elif done == 2 and len(ends) == len(tags) and done < times:
                expected = ends * (times - done)  # (the names the rest closes, top first)
                if (
                    len(expected) < len(stack)
                    and list(map(_NAME, stack[: -len(expected) - 1 : -1])) == expected
                ):
                    self._cut(len(stack) - len(expected))
                    return
            previous = (low, stack[low:], math[low:], low == begin)

    @property
    def root_end(self) -> bytes:
        """``svg`` or ``math`` when its end tag would close every open element, else ``b""``."""
        name = self._stack[0][0] if self._stack and not self.lost else b""
        return name if not self._html and self._foreign_at.get(name) == [0] else b""

    @property
    def in_raw_text(self) -> bool:
        """Inside an HTML element of raw text (in an integration point), read as markup."""
        return bool(self._html_at) and not self._html_at.keys().isdisjoint(_RAW)

    def closes_nothing(self, names: list[bytes]) -> bool:
        """True when end tags of ``names`` close nothing, whatever their order (none is open)."""
        return self._foreign_at.keys().isdisjoint(names) and self._html_at.keys().isdisjoint(names)

    def repeat_end(self, name: bytes, times: int) -> None:
        """The end tag ``</name>`` ``times`` over: :meth:`end` as many times, in bulk."""
        stack, html, barriers = self._stack, self._html, self._barriers
        while times > 0 and stack and stack[-1][1] != _LOST:
            floor = html[-1] if html else -1
            found = self._foreign_at.get(name)
            if found and found[-1] > floor:
                # The nearest of them above the nearest HTML element, one by one: cutting one
                # leaves that HTML element where it was.
                closing = min(times, len(found) - bisect_right(found, floor))
                self._cut(found[-closing])
                times -= closing
                continue
            barrier = barriers[-1] if barriers else -1
            found = self._html_at.get(name)
            if not found or found[-1] < barrier:
                self._ip_by_name(name)  # (after which nothing closes)
                return  # it closes nothing, and neither will the next
            foreign = self._foreign_at.get(name)
            closing = len(found) - bisect_right(found, barrier)
            if closing and not (foreign and foreign[-1] > barrier):
                # HTML elements above the barrier: while one of them is left, the nearest HTML
                # element is above the barrier too, and no foreign one of that name is.
                closing = min(times, closing)
                self._cut(found[-closing])
                times -= closing
            else:
                self.end(name)
                times -= 1

    @property
    def full(self) -> bool:
        """As deep as the stack is followed (or deeper: :attr:`lost`)."""
        return len(self._stack) >= _DEPTH or self.lost

    @property
    def room(self) -> int:
        """How many more elements may be pushed before the stack is :attr:`full`."""
        return 0 if self.lost else max(0, _DEPTH - len(self._stack))

    def _ips(self) -> frozenset[bytes]:
        """The integration points of the namespace a child of the top element is in."""
        return MATH_IPS if self._math[-1] else SVG_IPS

    def _push(self, name: bytes, kind: int) -> None:
        if kind == _HTML and name in BODY_IGNORES and b"table" not in self._html_at:
            return  # (the body ignores it, and so does the HTML of an integration point, no table open)
        at = len(self._stack)
        if at >= _DEPTH or kind == _LOST or (at and self._stack[-1][1] == _LOST):
            if self._stack[-1][1] != _LOST:
                self._stack.append(_MARK)
                self._math.append(False)
            return
        if kind == _HTML:
            self._math.append(False)
        else:  # (in its foreign parent's namespace, <svg>/<math> too; else <math> is MathML)
            in_foreign = at > 0 and self._stack[-1][1] == _FOREIGN
            self._math.append(self._math[-1] if in_foreign else name == b"math")
        self._stack.append((name, kind))
        where = self._html_at if kind == _HTML else self._foreign_at
        found = where.get(name)
        if found is None:
            where[name] = [at]
        else:
            found.append(at)
        if kind == _HTML:
            self._html.append(at)
            if name in SPECIAL:
                self._barriers.append(at)
        elif kind == _IP:
            self._barriers.append(at)

    def _push_copies(
        self, entries: list[tuple[bytes, int]], spaces: list[bool], copies: int, tags: int
    ) -> int:
        """``copies`` more of ``entries`` (namespaces ``spaces``) at once, as many as fit under the
        depth (a reading of ``tags`` tags may go that many above where it ends); how many."""
        stack = self._stack
        width = len(entries)
        copies = min(copies, (_DEPTH - len(stack) - tags) // width)
        if copies <= 0:
            return 0
        base = len(stack)
        total = width * copies
        stack.extend(entries * copies)
        self._math.extend(spaces * copies)
        offsets: dict[int, tuple[list[int], list[int]]] = {}  # (by the list's id)
        for offset, (name, kind) in enumerate(entries):
            where = self._html_at if kind == _HTML else self._foreign_at
            targets = [where.setdefault(name, [])]
            if kind == _HTML:
                targets.append(self._html)
            if kind == _IP or (kind == _HTML and name in SPECIAL):
                targets.append(self._barriers)
            for target in targets:
                offsets.setdefault(id(target), (target, []))[1].append(offset)
        for target, at in offsets.values():
            if len(at) == width:
                target.extend(range(base, base + total))
            elif len(at) == 1:
                target.extend(range(base + at[0], base + total, width))
            else:
                target.extend(sorted(chain.from_iterable(range(base + o, base + total, width) for o in at)))
        return copies

    def _pop(self) -> None:
        name, kind = self._stack.pop()
        self._math.pop()
        where = self._html_at if kind == _HTML else self._foreign_at
        found = where[name]
        found.pop()
        if not found:
            del where[name]
        if kind == _HTML:
            self._html.pop()
            if name in SPECIAL:
                self._barriers.pop()
        elif kind == _IP:
            self._barriers.pop()

    def _cut(self, at: int) -> None:
        """Close the entry at ``at`` and everything above it."""
        stack = self._stack
        if at < self._low:
            self._low = at
        if len(stack) - at < 4:
            while len(stack) > at:
                self._pop()
            return
        removed = set(stack[at:])
        del stack[at:]
        del self._math[at:]
        for name, kind in removed:
            where = self._html_at if kind == _HTML else self._foreign_at
            found = where.get(name)
            if found is not None and found[-1] >= at:
                del found[bisect_left(found, at) :]
                if not found:
                    del where[name]
        for marks in (self._html, self._barriers):
            if marks and marks[-1] >= at:
                del marks[bisect_left(marks, at) :]
