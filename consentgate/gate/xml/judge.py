"""What an XML document's start tags and processing instructions become: the rewrite package's
verdicts, applied by namespace.

An XHTML element is judged as the HTML rewriter judges the element of that name, an SVG element
as it judges one in foreign content (``href``/``xlink:href``, animation values, ``on*``, ``style``);
an element of any other namespace, or of none, loads nothing in a browser (``<img src>`` without
the XHTML namespace is an unknown element) and is left alone. Names are case-sensitive in XML:
``<IMG>`` is no image, an ``SRC`` loads nothing, and a ``Type="text/plain"`` does not keep a script
from running (Chromium reads no ``type`` in it): attributes are read by their names as written.
An attribute is known by its namespace, not its prefix: ``l:href`` with ``l`` bound to XLink is
``xlink:href``.

The inert form is the HTML rewriter's, kept well-formed: a prefixed attribute is renamed inside
its prefix (``xlink:href`` becomes ``xlink:data-cg-href``: ``data-cg-xlink:href`` would name an
unbound prefix, a fatal error that blanks the page), and an attribute the rename would repeat
(a page's own ``data-cg-src`` beside ``src``) is dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Final

from ..rewrite import RewritePlan, rewrite
from ..rewrite.attributes import Attr, attributes, decoded, decodings, first_value, runs_script, value_of
from ..rewrite.data_urls import data_document, renders_as_document
from ..rewrite.loaders import all_loaders, style_verdict, tag_verdict
from ..rewrite.verdicts import INLINE, inline_verdict, script_verdict
from ..rewrite.vocabulary import INERT_PREFIX, SCRIPT_RENAMES

__all__ = ["HTML", "OTHER", "SVG", "TEXT", "XLINK", "Judge", "namespace_of"]

XHTML_NS: Final = "http://www.w3.org/1999/xhtml"
SVG_NS: Final = "http://www.w3.org/2000/svg"
MATHML_NS: Final = "http://www.w3.org/1998/Math/MathML"
XLINK: Final = "http://www.w3.org/1999/xlink"
#: How an element is judged: as an HTML element, as SVG/MathML (foreign content), not at all.
HTML, SVG, OTHER = range(3)
#: A start tag's verdict waits for the element's text (an inline script, a style).
TEXT: Final[object] = object()
#: The ``type`` of a stylesheet instruction Chromium applies as CSS; it runs some others as XSLT
#: (``text/xsl``, ``text/xml``, ``application/xml``...) and ignores the rest: every one that is not
#: CSS is taken for XSLT.
_CSS_TYPES: Final = frozenset({"", "text/css"})
_WS: Final = " \t\n\r"
#: The elements that render a document of their own, and the attribute that names it.
_FRAMES: Final = {b"iframe": (b"src",), b"frame": (b"src",), b"object": (b"data",), b"embed": (b"src",)}
#: ``data-cg-p:name`` as the shared inert form writes a renamed prefixed attribute.
_PREFIXED_RENAME: Final = re.compile(rb"(?<=[\s])data-cg-([^\s=:/>]+):")


def namespace_of(uri: str) -> int:
    """How an element of namespace ``uri`` is judged."""
    if uri == XHTML_NS:
        return HTML
    if uri in (SVG_NS, MATHML_NS):
        return SVG
    return OTHER


class Judge:
    """The verdicts for one response: its plan, its refused categories, the page's ``<base href>``."""

    __slots__ = ("_blocked", "_nested_xml", "_plan", "base")

    def __init__(
        self,
        plan: RewritePlan,
        blocked: frozenset[str],
        nested_xml: Callable[[bytes], bool] | None = None,
    ) -> None:
        self._plan = plan
        self._blocked = blocked
        #: Whether an XML document (a frame's data: URL) would load something refused.
        self._nested_xml = nested_xml
        self.base: str | None = None

    def start_tag(self, tag: bytes, name_end: int, local: bytes, kind: int, attrs: list[Attr]) -> object:
        """The inert form of ``tag`` (a whole start tag, its name ending at ``name_end``), None to
        leave it, or TEXT when the element's text decides (see :meth:`with_text`)."""
        plan, blocked = self._plan, self._blocked
        if kind == HTML and local == b"script":
            verdict = script_verdict(plan, blocked, tag, 0, name_end, len(tag), attrs, self.base)
            return TEXT if verdict is INLINE else self._well_formed(verdict)
        if local == b"style" or (kind == SVG and local == b"script" and runs_script(tag, attrs)):
            return TEXT
        new = tag_verdict(
            plan, blocked, tag, 0, name_end, len(tag), local, attrs,
            foreign=kind == SVG, base=self.base, nested=self._srcdoc,
        )  # fmt: skip
        if new is None and kind == HTML and local in _FRAMES:
            new = self._data_frame(tag, name_end, local, attrs)
        if kind == HTML and local == b"base" and self.base is None and new is None:
            href = first_value(tag, attrs, b"href")
            if href is not None:
                self.base = decoded(href).strip(_WS) or None
        return self._well_formed(new)

    def with_text(
        self, tag: bytes, name_end: int, local: bytes, kind: int, attrs: list[Attr], text: bytes
    ) -> bytes | None:
        """The inert form of a script's or a style's start tag ``tag`` whose text (what a browser
        reads: CDATA unwrapped, references decoded) is ``text``; None to leave it."""
        plan, blocked, base = self._plan, self._blocked, self.base
        data = tag + text
        end = len(tag)
        if local == b"style":
            # (data as its own "lower-cased" buffer: names are case-sensitive in XML)
            new = style_verdict(plan, blocked, data, data, 0, name_end, end, len(data), base)
            aliases = {data[a[1] : a[2]] for a in attrs if a[0] == b"xlink:href"} - {b"xlink:href"}
            if new is not None and aliases:
                # (style_verdict reads the attributes by their written names: an XLink href under
                # another prefix is renamed as well, so that a second rewrite finds nothing to do)
                again = attributes(new, name_end, len(new) - 1)
                new = plan.inert.tag(new, 0, name_end, len(new), again, frozenset(aliases), "", None)
            if new is None:
                new = tag_verdict(
                    plan, blocked, tag, 0, name_end, end, local, attrs, foreign=kind == SVG, base=base
                )
            return self._well_formed(new)
        renames = SCRIPT_RENAMES
        if kind == SVG:
            renames = SCRIPT_RENAMES | all_loaders(plan, blocked, tag, attrs, base)
            # (inline_verdict reads the attributes again, by the names they are written with)
            renames |= {data[a[1] : a[2]] for a in attrs if a[0] in renames}
        new = inline_verdict(plan, blocked, data, data, 0, name_end, end, len(data), renames)
        if new is None and kind == SVG:
            new = tag_verdict(plan, blocked, tag, 0, name_end, end, local, attrs, foreign=True, base=base)
        return self._well_formed(new)

    def stylesheet(self, pi: bytes, start: int, end: int) -> bytes | None:
        """The inert form of an ``<?xml-stylesheet ...?>`` processing instruction (``pi``, its
        pseudo-attributes in ``pi[start:end]``), or None: its ``href`` renamed ``data-cg-href``
        when it names a refused URL, or when it is an XSLT transform and anything is refused (the
        markup a transform makes is never seen by the gate: it could load any tracker)."""
        attrs = attributes(pi, start, end)  # (pseudo-attribute names are case-sensitive too)
        href = first_value(pi, attrs, b"href")
        if href is None or not self._blocked:
            return None
        kind = first_value(pi, attrs, b"type")
        kind_text = "" if kind is None else decoded(kind).strip(_WS).lower()
        # (judged as a <base href> is: an element whose href is fetched whatever else it carries)
        new = tag_verdict(self._plan, self._blocked, pi, 0, start, end, b"base", attrs)
        if new is not None:
            return (self._well_formed(new) or b"") + pi[end:]
        if kind_text not in _CSS_TYPES:
            renamed = self._plan.inert.tag(
                pi, 0, start, end, attrs, frozenset({b"href"}), "unclassified", None
            )
            return renamed + pi[end:]
        return None

    def _data_frame(self, tag: bytes, name_end: int, local: bytes, attrs: list[Attr]) -> bytes | None:
        """The inert form of a frame (``<iframe>``, ``<frame>``, ``<object>``, ``<embed>``) whose
        ``data:`` URL is a document that would load something refused (one holding a ``data:`` URL
        again counts as refused: the HTML rewriter does not read those)."""
        names = _FRAMES[local]
        for attr in attrs:
            if attr[0] not in names:
                continue
            for text in decodings(value_of(tag, attr)):
                found = data_document(text)
                if found is None or not renders_as_document(found[0]):
                    continue
                essence, body = found
                if body.lower().find(b"data:") >= 0:
                    refused = True
                elif essence == "text/html":
                    refused = self._srcdoc(body, 1) is not None
                else:
                    refused = self._nested_xml is None or self._nested_xml(body)
                if refused:
                    renames = frozenset(a[0] for a in attrs if a[0] in names)
                    return self._plan.inert.tag(
                        tag, 0, name_end, len(tag), attrs, renames, "unclassified", None
                    )
        return None

    def _srcdoc(self, document: bytes, depth: int) -> str | None:
        """The category of what an ``<iframe srcdoc>`` document (HTML, whatever its parent) would
        load that is refused, if anything. One that holds a ``data:`` URL counts as refusing (the
        HTML rewriter does not read the documents those hold: a frame in it could load anything)."""
        if document.lower().find(b"data:") >= 0 and data_frames(document):
            return "unclassified"
        out = rewrite(self._plan, self._blocked, document, depth=depth)
        if out == document:
            return None
        at = out.find(b'data-cg-category="')
        return "unclassified" if at < 0 else out[at + 18 : out.find(b'"', at + 18)].decode("utf-8", "replace")

    @staticmethod
    def _well_formed(new: object) -> bytes | None:
        if not isinstance(new, bytes):
            return None
        if new.find(b"data-cg-") >= 0 and new.find(b":") >= 0:
            new = _PREFIXED_RENAME.sub(lambda m: m.group(1) + b":" + INERT_PREFIX, new)
        return _without_repeats(new)


_DATA_FRAME: Final = re.compile(rb"<(?:iframe|frame|object|embed)\b[^>]*data:", re.IGNORECASE)


def data_frames(document: bytes) -> bool:
    """Whether an HTML document may hold a frame whose URL is a ``data:`` document (a frame tag
    with ``data:`` in it, references decoded)."""
    if _DATA_FRAME.search(document) is not None:
        return True
    return (
        _DATA_FRAME.search(html.unescape(document.decode("latin-1")).encode("latin-1", "replace")) is not None
    )


def _without_repeats(tag: bytes) -> bytes:
    """``tag`` without the later of two attributes of the same name (a page's own ``data-cg-src``
    beside the one the rename made): a repeated attribute is a fatal error in XML."""
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    stop = re.search(rb"[\s/>]", tag[1:])
    found = attributes(tag, 1 + (stop.start() if stop else 0), end)
    seen: set[bytes] = set()
    drop: list[Attr] = []
    for attr in found:
        if attr[0] in seen:
            drop.append(attr)
        seen.add(attr[0])
    for attr in reversed(drop):
        tag = tag[: attr[1]].rstrip(b" \t\n\r") + tag[attr[4] if attr[4] >= 0 else attr[2] :]
    return tag
