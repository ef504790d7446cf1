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
#: Elements whose content is parsed as HTML (integration points); annotation-xml counts whatever
#: its encoding (counting too many only keeps the stack deeper, the safe side).
_IPS: Final = frozenset(
    {b"foreignobject", b"desc", b"title", b"mi", b"mo", b"mn", b"ms", b"mtext", b"annotation-xml"}
)
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
    """Foreign content and ``<select>``, as far as they change what the tokenizer does."""

    __slots__ = ("select", "stack")

    def __init__(self) -> None:
        self.stack: list[tuple[bytes, int]] = []
        self.select = False

    @property
    def foreign(self) -> bool:
        """Inside an ``<svg>`` or ``<math>`` element (its integration points included)."""
        return bool(self.stack)

    def start(self, name: bytes, low_tag: bytes, self_closing: bool) -> bool:
        """A start tag; True when it is read as an SVG/MathML element (so no raw text after it)."""
        stack = self.stack
        if stack:
            top = stack[-1][1]
            if top == _FOREIGN and (name in BREAKOUT or (name == b"font" and _font_breaks(low_tag))):
                while stack and stack[-1][1] == _FOREIGN:
                    stack.pop()
                if not stack:
                    return False
                top = stack[-1][1]
            if top == _FOREIGN:
                if not self_closing and len(stack) < _DEPTH:
                    stack.append((name, _IP if name in _IPS else _FOREIGN))
                return True
        elif self.select:
            if name in (b"select", b"input", b"keygen", b"textarea"):
                self.select = False
            elif name not in SELECT_KEEPS:
                return False  # ignored by older parsers, parsed by current ones: data either way
        if name in (b"svg", b"math"):
            if not self_closing and len(stack) < _DEPTH:
                stack.append((name, _FOREIGN))
            return True
        if stack:
            if not self_closing and name not in _VOID and len(stack) < _DEPTH:
                stack.append((name, _HTML))
        elif name == b"select":
            self.select = True
        return False

    def end(self, name: bytes) -> None:
        """An end tag."""
        stack = self.stack
        if not stack:
            if name == b"select":
                self.select = False
            return
        # (``</p>`` and ``</br>`` leave foreign content in the current standard, not in older
        # parsers: staying is the safe side for both.)
        for i in range(len(stack) - 1, -1, -1):  # foreign content: the nearest element of that name
            entry, kind = stack[i]
            if kind == _HTML:
                break
            if entry == name:
                del stack[i:]
                return
        for i in range(len(stack) - 1, -1, -1):  # then HTML's "any other end tag"
            entry, kind = stack[i]
            if kind == _HTML and entry == name:
                del stack[i:]
                return
            if kind == _IP or (kind == _HTML and entry in _SPECIAL):
                return
        # Nothing matched: it may close an element outside, and foreign content with it; believing
        # it goes on is the safe side.


def _font_breaks(low_tag: bytes) -> bool:
    from .attributes import attributes

    return any(a[0] in (b"color", b"face", b"size") for a in attributes(low_tag, 5, len(low_tag)))
