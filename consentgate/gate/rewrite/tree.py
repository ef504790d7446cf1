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

from typing import Final

from .vocabulary import BREAKOUT, SELECT_KEEPS

__all__ = ["RAW_CAPABLE", "Tree"]

#: Start tags that make an HTML parser read raw text (or script data) up to their end tag.
RAW_CAPABLE: Final = frozenset(
    {b"style", b"xmp", b"textarea", b"title", b"iframe", b"noembed", b"noframes", b"noscript", b"script"}
)
_FOREIGN, _IP, _HTML = 0, 1, 2
#: Elements whose content is parsed as HTML (integration points), per namespace: SVG's, and
#: MathML's (annotation-xml counts whatever its encoding: counting too many only keeps the stack
#: deeper, the safe side). An ``<mi>`` in an ``<svg>`` is an SVG element like any other.
_SVG_IPS: Final = frozenset({b"foreignobject", b"desc", b"title"})
_MATH_IPS: Final = frozenset({b"mi", b"mo", b"mn", b"ms", b"mtext", b"annotation-xml"})
_VOID: Final = frozenset(
    {
        b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"image", b"input", b"keygen",
        b"link", b"meta", b"param", b"source", b"track", b"wbr", b"basefont", b"bgsound", b"frame",
    }
)  # fmt: skip
#: HTML elements an end tag cannot walk past (the standard's "special" category, in part).
_SPECIAL: Final = frozenset(
    {
        b"address", b"applet", b"article", b"aside", b"blockquote", b"button", b"caption", b"center",
        b"dd", b"details", b"dir", b"div", b"dl", b"dt", b"fieldset", b"figcaption", b"figure",
        b"footer", b"form", b"h1", b"h2", b"h3", b"h4", b"h5", b"h6", b"header", b"hgroup", b"li",
        b"listing", b"main", b"marquee", b"menu", b"nav", b"object", b"ol", b"p", b"pre", b"section",
        b"select", b"summary", b"table", b"tbody", b"td", b"template", b"textarea", b"tfoot", b"th",
        b"thead", b"tr", b"ul", b"xmp", b"iframe", b"noembed", b"noframes", b"noscript", b"plaintext",
        b"script", b"style", b"title",
    }
)  # fmt: skip
#: How deep the stack is followed; deeper elements are not kept (an end tag then finds nothing
#: to close, and foreign content is believed to go on: the safe side).
_DEPTH: Final = 4096


class Tree:
    """Foreign content and ``<select>``, as far as they change what the tokenizer does.

    ``stack`` is the list of open elements, ``(name, kind)`` from the outermost; it is indexed
    (where each name sits, where the HTML elements and the barriers an end tag stops at are), so
    that an end tag costs the same however deep the stack is.
    """

    __slots__ = ("_barriers", "_foreign_at", "_html", "_html_at", "_math", "_stack", "select")

    def __init__(self) -> None:
        self._stack: list[tuple[bytes, int]] = []
        self._math: list[bool] = []  # per entry: a MathML element (else SVG, or HTML)
        self._foreign_at: dict[bytes, list[int]] = {}  # name -> its SVG/MathML entries (and IPs)
        self._html_at: dict[bytes, list[int]] = {}  # name -> its HTML entries
        self._html: list[int] = []  # the HTML entries
        self._barriers: list[int] = []  # the entries HTML's end tag stops at: IPs, special HTML
        self.select = False

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
    def foreign(self) -> bool:
        """Inside an ``<svg>`` or ``<math>`` element (its integration points included)."""
        return bool(self._stack)

    def start(self, name: bytes, low_tag: bytes, self_closing: bool) -> bool:
        """A start tag; True when it is read as an SVG/MathML element (so no raw text after it)."""
        stack = self._stack
        if stack:
            top = stack[-1][1]
            if top == _FOREIGN and (name in BREAKOUT or (name == b"font" and _font_breaks(low_tag))):
                while stack and stack[-1][1] == _FOREIGN:
                    self._pop()
                if not stack:
                    return False
                top = stack[-1][1]
            if top == _FOREIGN:
                if not self_closing and len(stack) < _DEPTH:
                    self._push(name, _IP if name in self._ips() else _FOREIGN)
                return True
        elif self.select:
            if name in (b"select", b"input", b"keygen", b"textarea"):
                self.select = False
            elif name not in SELECT_KEEPS:
                return False  # ignored by older parsers, parsed by current ones: data either way
        if name in (b"svg", b"math"):
            if not self_closing and len(stack) < _DEPTH:
                self._push(name, _FOREIGN)
            return True
        if stack:
            if not self_closing and name not in _VOID and len(stack) < _DEPTH:
                self._push(name, _HTML)
        elif name == b"select":
            self.select = True
        return False

    def end(self, name: bytes) -> None:
        """An end tag."""
        if not self._stack:
            if name == b"select":
                self.select = False
            return
        # (``</p>`` and ``</br>`` leave foreign content in the current standard, not in older
        # parsers: staying is the safe side for both.)
        # Foreign content: the nearest element of that name above the nearest HTML element.
        found = self._foreign_at.get(name)
        if found and found[-1] > (self._html[-1] if self._html else -1):
            self._cut(found[-1])
            return
        # Then HTML's "any other end tag": the nearest HTML element of that name, unless an
        # integration point or a special element stands above it.
        found = self._html_at.get(name)
        if found and found[-1] >= (self._barriers[-1] if self._barriers else -1):
            self._cut(found[-1])
        # Nothing matched: it may close an element outside, and foreign content with it; believing
        # it goes on is the safe side.

    def ordinary(self, tags: list[tuple[bytes, bytes, bytes, bytes]]) -> None:
        """Tags that change nothing but the stack, as :data:`~.quiet.ORDINARY_TAGS` finds them:
        ``(b"/" or b"", name, b"/" when self-closing, b">" when an end tag of that name follows
        with only text between, read with it)``, all
        ``b""`` for a comment. No ``font``, ``svg``, ``math``, ``select`` or control that ends it
        is among them, no ``</svg>``, ``</math>`` or ``</select>``: :attr:`select` stays as it is."""
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
            elif len(stack) < _DEPTH and (stack[-1][1] == _FOREIGN or name not in _VOID):
                if not leaf:  # (pushed and closed again: the stack is as it was)
                    push(
                        name, _HTML if stack[-1][1] != _FOREIGN else _IP if name in self._ips() else _FOREIGN
                    )
            elif leaf:
                self.end(name)

    @property
    def full(self) -> bool:
        """As deep as the stack is followed: an ordinary start tag changes nothing."""
        return len(self._stack) >= _DEPTH

    def _ips(self) -> frozenset[bytes]:
        """The integration points of the namespace a child of the top element is in."""
        return _MATH_IPS if self._math[-1] else _SVG_IPS

    def _push(self, name: bytes, kind: int) -> None:
        at = len(self._stack)
        if kind == _HTML or name == b"svg":
            self._math.append(False)
        else:  # (an SVG/MathML element is in its parent's namespace, or in its own: <math>)
            self._math.append(name == b"math" or (at > 0 and self._stack[-1][1] != _HTML and self._math[-1]))
        self._stack.append((name, kind))
        where = self._html_at if kind == _HTML else self._foreign_at
        found = where.get(name)
        if found is None:
            where[name] = [at]
        else:
            found.append(at)
        if kind == _HTML:
            self._html.append(at)
            if name in _SPECIAL:
                self._barriers.append(at)
        elif kind == _IP:
            self._barriers.append(at)

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
            if name in _SPECIAL:
                self._barriers.pop()
        elif kind == _IP:
            self._barriers.pop()

    def _cut(self, at: int) -> None:
        """Close the entry at ``at`` and everything above it."""
        while len(self._stack) > at:
            self._pop()


def _font_breaks(low_tag: bytes) -> bool:
    from .attributes import attributes

    return any(a[0] in (b"color", b"face", b"size") for a in attributes(low_tag, 5, len(low_tag)))
