"""What the response path reads of a response's headers: the type, the coding, the CSP.

One pass over the headers (:func:`read_heads`), and each ``Content-Type`` value parsed once per
gate (:class:`ContentTypes`): a site sends a handful of values, and parsing one (a regex for the
charset) costs more than the rest of the response's start.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .charsets import charset_param

__all__ = ["ContentTypes", "read_heads"]

#: The header names read (1 type, 2 coding, 3 CSP), and common ones skipped (0) without asking
#: whether they are lower-case: one dict look-up per header.
_HEADS: Final = {
    b"content-type": 1,
    b"content-encoding": 2,
    b"content-security-policy": 3,
    **dict.fromkeys(
        (
            b"content-length", b"date", b"server", b"etag", b"cache-control", b"vary", b"set-cookie",
            b"last-modified", b"expires", b"location", b"connection", b"transfer-encoding",
            b"accept-ranges", b"x-content-type-options", b"x-frame-options", b"referrer-policy",
            b"strict-transport-security", b"access-control-allow-origin", b"content-language",
        ),
        0,
    ),
}  # fmt: skip
_TYPES_KEPT: Final = 256


def read_heads(
    headers: Iterable[tuple[bytes, bytes]],
) -> tuple[bytes | None, list[bytes] | None, bytes, bytes]:
    """``(first Content-Type, the other Content-Types or None, Content-Encoding, CSP)``: several
    Content-Encoding lines are one list, in order ("gzip" then "br" is "gzip, br")."""
    content_type: bytes | None = None
    more_types: list[bytes] | None = None
    coding = csp = b""
    heads = _HEADS
    for name, value in headers:
        try:
            kind = heads.get(name)
        except TypeError:  # a bytearray (unhashable) name: rare, still read
            kind = heads.get(bytes(name))
        if kind is None and not name.islower():  # (a lower-case name is its own lower())
            kind = heads.get(bytes(name.lower()))
        if not kind:
            continue
        if kind == 1:
            if content_type is None:
                content_type = value
            else:
                more_types = [*(more_types or ()), value]
        elif kind == 2:
            value = value.strip().lower()
            coding = coding + b", " + value if coding else value
        else:
            csp = value
    return content_type, more_types, coding, csp


class ContentTypes:
    """``parse(value)``: (it is text/html, its charset label lower-cased), kept per value."""

    __slots__ = ("_parsed",)

    def __init__(self) -> None:
        self._parsed: dict[bytes, tuple[bool, bytes]] = {}

    def parse(self, content_type: bytes) -> tuple[bool, bytes]:
        parsed = self._parsed.get(content_type)
        if parsed is not None:
            return parsed
        media, _, params = content_type.lower().partition(b";")
        parsed = (
            media.strip() == b"text/html",
            charset_param(params) if params.find(b"charset") >= 0 else b"",
        )
        if len(self._parsed) >= _TYPES_KEPT:
            self._parsed.clear()
        self._parsed[content_type] = parsed
        return parsed
