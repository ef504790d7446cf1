"""Frames whose ``data:`` URL is a document that would load something refused (and links whose
``data:`` URL is a style sheet that would).

An ``<iframe src>``, ``<frame src>``, ``<object data>`` or ``<embed src>`` holding a ``data:`` URL
of an HTML or XML type renders that document as a page of its own: ``<iframe
src="data:text/html;base64,PGltZyBzcmM9...">`` loads the image inside (Chromium 156 does, with
scripting on and off; an ``<object>`` whatever its ``type=``; an ``<iframe>`` in SVG foreign
content does not, but the tree's reading of foreign content may be wrong, so it is judged too).
The document is judged as an ``srcdoc`` one is (recursively, with the same plan and the same depth
limit): its frame attribute is renamed like any refused loader's, with the nested document's
category. What cannot be read the way a browser reads it fails closed (refused, ``unclassified``):
a document with NUL bytes or a UTF-16 byte order mark (Chromium loads the pixel of a UTF-16 one),
one nested deeper than the limit, and an XML one (XHTML, SVG, XML) when no XML judge is known.

The XML judge is :mod:`consentgate.gate.xml`'s, which registers itself here with
:func:`judge_xml_documents_with` when it is imported (the middleware does): that package imports
this one, so this one cannot import it.

:func:`may_hold_data_frame` is the rewriter's cheap check that a stretch may hold such a frame
(a frame's start tag, and ``data:`` or a character reference that may spell it): without it a
base64 ``data:`` URL holds none of the bytes the rewriter's triggers look for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from .attributes import attributes, decodings, explicit_category, value_of
from .css import css_urls
from .data_urls import data_document, renders_as_document
from .vocabulary import CATEGORY_ATTR

if TYPE_CHECKING:
    from .plan import RewritePlan

__all__ = [
    "FRAME_SOURCES",
    "FRAME_START",
    "frame_verdict",
    "judge_xml_documents_with",
    "may_hold_data_frame",
    "refused_category",
]

#: The elements that render a document of their own, and the attribute that names it; and a
#: ``<link>``, whose ``data:`` style sheet may import or use what a tracker serves.
FRAME_SOURCES: Final = {
    b"iframe": (b"src",), b"frame": (b"src",), b"object": (b"data",), b"embed": (b"src",), b"link": (b"href",)
}  # fmt: skip
#: The start of a frame's (or a link's) tag, in lower-cased markup.
FRAME_START: Final = re.compile(rb"<(?:i?frame|object|embed|link)[\t\n\f\r />]")
#: ``data:`` (a browser drops tabs and newlines in a URL), or a character reference that may spell it.
_DATA_OR_REFERENCE: Final = re.compile(rb"d[\t\n\r]*+a[\t\n\r]*+t[\t\n\r]*+a[\t\n\r]*+:|&")
#: How deep nested documents go before the rest is refused outright (the ``srcdoc`` limit).
DEPTH_LIMIT: Final = 4
_UNREADABLE: Final = "unclassified"

#: The XML judge: the category of what an XML document would load that is refused (or that cannot
#: be read), None for nothing.
XmlJudge = Callable[["RewritePlan", frozenset[str], bytes], str | None]
_xml_judge: list[XmlJudge] = []


def refused_category(document: bytes, out: bytes) -> str | None:
    """What a nested document would load that is refused, from its rewrite ``out``: None when the
    rewrite changed nothing, else the category of the first inert tag (``unclassified`` if the
    change named none)."""
    if out == document:
        return None
    at = out.find(CATEGORY_ATTR + b'="')
    if at < 0:
        return _UNREADABLE
    start = at + len(CATEGORY_ATTR) + 2
    return out[start : out.find(b'"', start)].decode("utf-8", "replace")


def judge_xml_documents_with(judge: XmlJudge) -> None:
    """Use ``judge`` for the XML documents of frames (registered by :mod:`consentgate.gate.xml`)."""
    _xml_judge[:] = [judge]


def may_hold_data_frame(low: bytes, start: int, end: int) -> bool:
    """False when ``low[start:end]`` (lower-cased) surely holds no frame with a ``data:`` URL: no
    frame start tag, or neither ``data:`` nor an ``&`` in it."""
    return (
        FRAME_START.search(low, start, end) is not None
        and _DATA_OR_REFERENCE.search(low, start, end) is not None
    )


def frame_verdict(
    plan: RewritePlan,
    blocked: frozenset[str],
    tag: bytes,
    name_end: int,
    name: bytes,
    nested: Callable[[bytes, int], str | None],
    depth: int,
) -> bytes | None:
    """The inert form of the start tag ``tag`` (the whole tag, its name ``name`` ending at
    ``name_end``), or None: its frame attributes renamed when one holds a ``data:`` document that
    would load something refused. ``nested(document, depth)`` judges an HTML document as an
    ``srcdoc`` is judged; ``depth`` is the current document's."""
    sources = FRAME_SOURCES.get(name)
    if sources is None or not blocked:
        return None
    low = tag.lower()
    if _DATA_OR_REFERENCE.search(low, name_end) is None:
        return None
    attrs = attributes(low, name_end, len(tag) - 1)
    explicit = explicit_category(tag, attrs)
    if explicit is not None and not plan.refuses(explicit, blocked):
        return None  # (the site's own category for the frame, granted: as for an srcdoc)
    for attr in attrs:
        if attr[0] not in sources:
            continue
        for text in decodings(value_of(tag, attr)):
            if name == b"link":
                category = _sheet_category(plan, blocked, text)
            else:
                category = _document_category(plan, blocked, text, nested, depth)
            if category is not None:
                renames = frozenset(a[0] for a in attrs if a[0] in sources)
                return plan.inert.tag(tag, 0, name_end, len(tag), attrs, renames, category, None)
    return None


def _document_category(
    plan: RewritePlan,
    blocked: frozenset[str],
    url: str,
    nested: Callable[[bytes, int], str | None],
    depth: int,
) -> str | None:
    """The category of what the document of ``url`` would load that is refused, if it is a
    ``data:`` URL of a document type (:data:`_UNREADABLE` when that cannot be told)."""
    found = data_document(url)
    if found is None or not renders_as_document(found[0]):
        return None
    essence, body = found
    if depth >= DEPTH_LIMIT or body.find(b"\x00") >= 0 or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return _UNREADABLE
    if essence == "text/html":
        return nested(body, depth + 1)
    if not _xml_judge:
        return _UNREADABLE
    return _xml_judge[0](plan, blocked, body)


def _sheet_category(plan: RewritePlan, blocked: frozenset[str], url: str) -> str | None:
    """The category of what the style sheet in the ``data:`` URL ``url`` would load that is refused:
    its CSS read as a ``<style>``'s is (``url()``, ``@import``, and the CSS of its own ``data:``
    URLs). Whatever its ``rel`` and media type: a browser in quirks mode applies any type, and a
    link that is no style sheet loads nothing from it anyway. Only absolute URLs count: a relative
    one has no base in a ``data:`` document."""
    found = data_document(url)
    if found is None:
        return None
    body = found[1]
    # (An image's bytes read as text name nothing; a byte order mark decides as a browser's does.)
    utf16 = body[:2] in (b"\xff\xfe", b"\xfe\xff")
    for text in css_urls(body.decode("utf-16" if utf16 else "utf-8", "replace")):
        service = plan.match_text_url(text, None)
        if service is not None and plan.refuses(service.category, blocked):
            return service.category
    return None
