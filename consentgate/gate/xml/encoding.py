"""How a browser decodes an XML document, decided from its first bytes, and what the gate makes of it.

Chromium's order for a document it parses as XML, as for HTML but without ``<meta>``: a byte order
mark (UTF-8, UTF-16LE, UTF-16BE); the ``charset`` of the HTTP ``Content-Type``; ``<?xml`` at the
very start written in UTF-16, or the ``encoding`` of the XML declaration (both read by
:func:`~consentgate.gate.meta_scan.xml_encoding`, the reading the HTML path uses); else UTF-8.

The rewrite reads bytes whose markup is ASCII: UTF-8 as it is, UTF-16 decoded to UTF-8 and encoded
back afterwards, and the other ASCII-compatible encodings of the WHATWG standard byte for byte
(expat is told ISO-8859-1: markup bytes are ASCII in each of them, a trail byte is never ``<``,
``>``, ``&``, ``=`` or a quote; values are judged in their legacy readings as in HTML).
ISO-2022-JP, ``replacement`` and a label no browser knows cannot be read with certainty: refused.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

from ..encoding_labels import encoding_of
from ..meta_scan import xml_encoding

__all__ = ["Reading", "decide_xml"]


class Reading(Enum):
    """What the gate does with a document's bytes."""

    UTF8 = "utf-8"  #: read as UTF-8, as they are
    UTF16LE = "utf-16-le"  #: decoded to UTF-8 for the rewrite, encoded back after
    UTF16BE = "utf-16-be"
    ASCII = "ascii"  #: an ASCII-compatible legacy encoding, read byte for byte (expat: ISO-8859-1)
    REFUSE = "refuse"  #: no certain reading: the document is refused


_BOMS: Final = (
    (b"\xef\xbb\xbf", Reading.UTF8),
    (b"\xff\xfe", Reading.UTF16LE),
    (b"\xfe\xff", Reading.UTF16BE),
)
_BY_NAME: Final = {
    "utf-8": Reading.UTF8,
    "utf-16le": Reading.UTF16LE,
    "utf-16be": Reading.UTF16BE,
    "iso-2022-jp": Reading.REFUSE,
    "replacement": Reading.REFUSE,
}


def decide_xml(head: bytes, charset: bytes, *, final: bool) -> Reading | None:
    """How the document whose first bytes are ``head`` is read (``charset``: the label of its
    ``Content-Type``, or empty); None while more bytes are needed to tell (not ``final``)."""
    for bom, reading in _BOMS:
        if head.startswith(bom):
            return reading
    if not final and len(head) < 3 and any(bom.startswith(head) for bom, _ in _BOMS):
        return None
    if charset:
        name = encoding_of(charset)
        if name is not None:
            return _BY_NAME.get(name, Reading.ASCII)
    declared, decided = xml_encoding(head, final)
    if not decided:
        return None
    if declared is None and head.startswith(b"<?xml"):
        # A declaration that names an encoding no browser knows (or none at all: UTF-8).
        end = head.find(b"?>")
        if end >= 0 and head.find(b"encoding", 0, end) >= 0:
            return Reading.REFUSE
    return _BY_NAME.get(declared or "utf-8", Reading.ASCII)
