"""Documents written into a ``data:`` URL, which an ``<iframe>``, ``<frame>``, ``<object>`` or
``<embed>`` renders as a page of its own: ``<iframe src="data:text/html,<img src=...>">`` loads
that image (Chromium 156 does, from an HTML page and from an XHTML one).

:func:`data_document` reads one as the Fetch standard's ``data:`` URL processor does (tabs and
newlines dropped, the media type before the first comma, percent-decoding, ``;base64`` with
whitespace forgiven); :func:`renders_as_document` says whether its type is one a browser renders
with markup that may load something (HTML, and XML: XHTML, SVG).
"""

from __future__ import annotations

import binascii
import re
from base64 import b64decode
from typing import Final
from urllib.parse import unquote_to_bytes

__all__ = ["data_document", "renders_as_document"]

_DROPPED: Final = {9: None, 10: None, 13: None}
_BASE64: Final = re.compile(r";[ ]*base64[ ]*$", re.IGNORECASE)
_DOCUMENT_TYPES: Final = frozenset(
    {"text/html", "application/xhtml+xml", "image/svg+xml", "application/xml", "text/xml", "text/xsl"}
)


def data_document(url: str) -> tuple[str, bytes] | None:
    """``(media type essence, body)`` of a ``data:`` URL (a decoded attribute value), or None when
    it is none. A body that does not decode is empty (nothing in it loads)."""
    text = url.strip(" \t\n\f\r\x00").translate(_DROPPED)
    if text[:5].lower() != "data:":
        return None
    mime, comma, body = text[5:].partition(",")
    if not comma:
        return None
    data = unquote_to_bytes(body)
    if _BASE64.search(mime) is not None:
        mime = mime[: _BASE64.search(mime).start()]  # type: ignore[union-attr]
        try:
            packed = re.sub(rb"[\t\n\f\r ]", b"", data).rstrip(b"=")
            data = b64decode(packed + b"=" * (-len(packed) % 4), validate=False)
        except (binascii.Error, ValueError):
            data = b""
    essence = mime.partition(";")[0].strip(" \t\n\f\r").lower() or "text/plain"
    return essence, data


def renders_as_document(essence: str) -> bool:
    """Whether a frame renders a body of this media type as markup (HTML, XHTML, SVG, XML)."""
    return essence in _DOCUMENT_TYPES or essence.endswith("+xml")
