"""Which responses are XML documents a browser renders, and so may load trackers.

What Chromium 156 does when it navigates to each type (tests/browser/test_xml_browser.py, and the
probe in docs/gate.md): ``application/xhtml+xml``, ``image/svg+xml``, ``application/xml``,
``text/xml`` and ``text/xsl`` are parsed with its XML parser into a DOM whose XHTML and SVG
elements load and run as in HTML. ``application/rss+xml`` and ``application/atom+xml`` are shown as
text, and any other ``+xml`` type (``application/foo+xml``) is downloaded: nothing in them loads.
The other ``+xml`` types are rewritten all the same: it costs nothing when nothing is refused, and
a browser that renders one must not find a live tracker in it.
"""

from __future__ import annotations

from typing import Final

__all__ = ["XML_TYPES", "is_xml_type", "starts_as_xml"]

#: The types a browser renders as an XML document (besides any ``+xml`` type).
XML_TYPES: Final = frozenset(
    {b"application/xhtml+xml", b"image/svg+xml", b"application/xml", b"text/xml", b"text/xsl"}
)
_WHITESPACE: Final = b"\t\n\x0c\r "


def is_xml_type(content_type: bytes) -> bool:
    """Whether a ``Content-Type`` value (any case, any parameters) names an XML document type."""
    media = content_type.lower().partition(b";")[0].strip(_WHITESPACE)
    return media in XML_TYPES or (media.endswith(b"+xml") and media.find(b"/") > 0)


def starts_as_xml(head: bytes) -> bool:
    """Whether a body sent without a type starts with ``<?xml`` (after whitespace), which the MIME
    Sniffing standard (and Chromium) read as ``text/xml``: an XML document, not HTML."""
    return head.lstrip(_WHITESPACE).startswith(b"<?xml")
