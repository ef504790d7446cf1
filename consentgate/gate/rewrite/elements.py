"""The HTML standard's element categories that the rewriter's :class:`~.tree.Tree` needs: which
start tags begin raw text, which elements are void, which are integration points and which are
"special" (an end tag does not walk past them)."""

from __future__ import annotations

from typing import Final

__all__ = ["BODY_IGNORES", "MATH_IPS", "RAW_CAPABLE", "SPECIAL", "SVG_IPS", "TABLE_PARTS", "VOID"]

#: Start tags that make an HTML parser read raw text (or script data) up to their end tag.
RAW_CAPABLE: Final = frozenset(
    {b"style", b"xmp", b"textarea", b"title", b"iframe", b"noembed", b"noframes", b"noscript", b"script"}
)
#: Elements whose content is parsed as HTML (integration points), per namespace: SVG's, and
#: MathML's (annotation-xml counts whatever its encoding: counting too many only keeps the stack
#: deeper, the safe side). An ``<mi>`` in an ``<svg>`` is an SVG element like any other.
SVG_IPS: Final = frozenset({b"foreignobject", b"desc", b"title"})
MATH_IPS: Final = frozenset({b"mi", b"mo", b"mn", b"ms", b"mtext", b"annotation-xml"})
#: HTML's void elements (and ``image``, read as ``img``).
VOID: Final = frozenset(
    {
        b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"image", b"input", b"keygen",
        b"link", b"meta", b"param", b"source", b"track", b"wbr", b"basefont", b"bgsound", b"frame",
    }
)  # fmt: skip
#: HTML elements an end tag cannot walk past (the standard's "special" category, in part).
SPECIAL: Final = frozenset(
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
#: The start and end tags that end a ``<select>`` in a table (html5lib's "in select in table"; a
#: current parser's table insertion modes close it as well).
TABLE_PARTS: Final = frozenset({b"caption", b"table", b"tbody", b"tfoot", b"thead", b"tr", b"td", b"th"})
#: Start tags the body ignores (outside a table): a table's parts, ``head``, ``html`` and ``body``.
BODY_IGNORES: Final = frozenset(
    {b"caption", b"colgroup", b"head", b"tbody", b"td", b"tfoot", b"th", b"thead", b"tr", b"html", b"body"}
)
