"""How a browser will decode a page, decided once from its first bytes, and made the only reading.

The rewriter reads bytes as ASCII-compatible text. That is what a browser does for every encoding
of the WHATWG Encoding standard but three: UTF-16LE/BE and ISO-2022-JP (``replacement``, which
``iso-2022-kr``, ``hz-gb-2312`` and the like name, decodes any page to one U+FFFD: nothing loads).
The browser's choice, in its order (:func:`decide`):

1. A byte order mark (UTF-8, UTF-16LE, UTF-16BE) wins over everything.
2. The ``charset`` of the HTTP ``Content-Type``, parsed as the standard parses a MIME type (the
   first ``charset`` parameter, quoted or not; ``charset = x`` with spaces is none), when it is a
   label of the standard.
3. ``<?xml`` at the very start written in UTF-16 (Chromium reads the page as UTF-16); the page's
   ``<meta charset>`` or ``<meta http-equiv=content-type>``, or else the ``encoding`` of that XML
   declaration (:mod:`.meta_scan`; Chromium honours it in HTML too); one that names UTF-16 means
   UTF-8.
4. Otherwise a default or a guess that the gate cannot know.

UTF-16 and ISO-2022-JP pages are decoded for the rewriter and its output encoded back in the same
encoding (:class:`~.codings.Utf16Text`, :class:`~.iso2022jp.Iso2022JpText`), and, unless a byte
order mark says so, the response's ``Content-Type`` is made to name that encoding (``pin``): a
browser then decodes the rewritten bytes as the gate read them, whatever else the page holds (a
second ``<meta>``, a declaration Chromium finds where another browser would not). So is a page
whose ``<meta>`` (or XML declaration) names an encoding whose readings the rewriter knows
(:func:`~.rewrite.attributes.reading_of`: UTF-8, windows-1252, the CJK ones...): the rewriter then
reads its bytes in that encoding only (``reading``), as every browser does. A page whose encoding
is not known (step 4, or a ``<meta>`` naming another one) is read in every encoding a browser may
take. A page read as ASCII-compatible without the HTTP header's word for it could still be read as
ISO-2022-JP by some browser (a later ``<meta>``, an encoding detector), so there the escape
sequences that would switch ISO-2022-JP away from ASCII (``ESC $``, ``ESC (``) lose their ESC
(it becomes SUB, 0x1A, a control character as invisible): every reading is then the gate's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, NamedTuple

from .encoding_labels import encoding_of
from .meta_scan import meta_encoding, xml_encoding
from .rewrite.attributes import reading_of

__all__ = [
    "EscapeGuard",
    "PageEncoding",
    "charset_param",
    "decide",
    "http_encoding",
    "read_as_it_is",
    "with_charset",
]

_HTTP_WS: Final = b"\t\n\r "


class PageEncoding(NamedTuple):
    """What the gate does with a page: ``text`` the encoding it transcodes (None: the bytes as
    they are), ``escapes`` whether ISO-2022-JP escapes are neutralised, ``pin`` the ``charset``
    the response's ``Content-Type`` must name (None: leave it), ``reading`` the encoding the
    rewriter reads its bytes in (None: not known, every one a browser may take)."""

    text: str | None
    escapes: bool
    pin: bytes | None
    reading: str | None


_UNCERTAIN: Final = PageEncoding(None, True, None, None)
_UTF8: Final = PageEncoding(None, False, None, "utf-8")
_BY_NAME: Final = {  # (the rewriter reads them as UTF-8)
    "utf-16le": PageEncoding("utf-16-le", False, b"utf-16le", "utf-8"),
    "utf-16be": PageEncoding("utf-16-be", False, b"utf-16be", "utf-8"),
    "iso-2022-jp": PageEncoding("iso-2022-jp", False, b"iso-2022-jp", "utf-8"),
}
_BOMS: Final = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def charset_param(params: bytes) -> bytes:
    """The value of the first ``charset`` parameter of a MIME type's parameters (what follows its
    first ``;``, lower-cased), as the standard's MIME type parser reads it; b"" when none."""
    at, n = 0, len(params)
    while at < n:
        while at < n and params[at] in _HTTP_WS:
            at += 1
        stop = at
        while stop < n and params[stop] not in b";=":
            stop += 1
        name = params[at:stop]
        if stop >= n:
            return b""
        if params[stop] == 0x3B:  # ';'
            at = stop + 1
            continue
        at = stop + 1
        if at < n and params[at] == 0x22:  # '"': a quoted string, backslash escapes
            value = bytearray()
            at += 1
            while at < n and params[at] != 0x22:
                if params[at] == 0x5C and at + 1 < n:
                    at += 1
                value.append(params[at])
                at += 1
            semicolon = params.find(b";", at)
            at = n if semicolon < 0 else semicolon + 1
            found = bytes(value)
        else:
            semicolon = params.find(b";", at)
            end = n if semicolon < 0 else semicolon
            found = params[at:end].rstrip(_HTTP_WS)
            at = end + 1
            if not found:
                continue
        if name == b"charset":
            return found
    return b""


def http_encoding(label: bytes) -> str | None:
    """The encoding a ``charset`` label of the HTTP header names (None: none, the page decides)."""
    return encoding_of(label) if label else None


def read_as_it_is(body: bytes, more: bool, label: bytes) -> bool:
    """Whether a page whose header names ``label`` and whose first message is ``body`` (``more``
    to come) is surely read as ASCII-compatible bytes, escapes and all: the rewriter may take it
    as it comes (the common case, decided without holding anything back)."""
    http = http_encoding(label)
    if http is None or http in _BY_NAME:
        return False
    return (len(body) >= 2 or not more) and not body.startswith((_BOMS[1], _BOMS[2]))


def decide(head: bytes, http: str | None, *, final: bool) -> PageEncoding | None:
    """How a page whose first bytes are ``head`` is read (``http``: the encoding its header names);
    None while more bytes are needed to tell (not ``final``)."""
    if head.startswith(_BOMS[0]):
        return _UTF8
    if head.startswith(_BOMS[1]):
        return _BY_NAME["utf-16le"]._replace(pin=None)
    if head.startswith(_BOMS[2]):
        return _BY_NAME["utf-16be"]._replace(pin=None)
    if not final and len(head) < 3 and any(bom.startswith(head) for bom in _BOMS):
        return None
    if http is not None:
        return _BY_NAME.get(http) or PageEncoding(None, False, None, http)
    declared, decided = xml_encoding(head, final)
    if not decided:
        return None
    if declared in ("utf-16le", "utf-16be"):
        return _BY_NAME[declared]
    found, decided = meta_encoding(head, final)
    if not decided:
        return None
    found = found or declared
    if found == "iso-2022-jp":
        return _BY_NAME[found]
    if found is not None and reading_of(found).name is not None:
        # The rewriter reads it in that encoding only, and so does every browser: the header names it.
        return PageEncoding(None, False, found.encode("ascii"), found)
    return _UNCERTAIN


def with_charset(headers: Iterable[tuple[bytes, bytes]], pin: bytes) -> list[tuple[bytes, bytes]]:
    """``headers`` with one ``Content-Type: text/html; charset=<pin>`` in place of any others."""
    out = [(name, value) for name, value in headers if name.lower() != b"content-type"]
    out.append((b"content-type", b"text/html; charset=" + pin))
    return out


_SWITCH: Final = re.compile(rb"\x1b(?=[$(])")


class EscapeGuard:
    """ISO-2022-JP escapes (``ESC $``, ``ESC (``) in a page read as ASCII-compatible, their ESC made
    SUB, piece by piece (an ESC at the end of a piece waits for the byte after it)."""

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held = b""

    def feed(self, data: bytes, *, final: bool = False) -> bytes:
        """``data`` (after what was held) with its escapes neutralised."""
        if self._held:
            data = self._held + data
            self._held = b""
        if data.find(b"\x1b") < 0:
            return data
        if not final and data.endswith(b"\x1b"):
            data, self._held = data[:-1], b"\x1b"
        return _SWITCH.sub(b"\x1a", data)
