"""A tag's attributes, split as the HTML tokenizer splits them, and the few values the rewriter reads.

Only the tags that may be rewritten are ever split; the spans point into the page's own bytes so
that a rewrite can rename an attribute without touching anything else.
"""

from __future__ import annotations

import html
import re
from typing import Final, NamedTuple

from .vocabulary import CATEGORY_ATTR, script_runs

__all__ = [
    "EVERY_READING",
    "Attr",
    "Reading",
    "attributes",
    "decoded",
    "decodings",
    "explicit_category",
    "first_value",
    "font_breaks",
    "reading_of",
    "runs_script",
    "value_of",
    "with_legacy_readings",
    "with_references_decoded",
]

#: One parsed attribute: (lower-case name, name start, name end, value start, value end); the value
#: span includes the quotes and is (-1, -1) when the attribute has no value.
Attr = tuple[bytes, int, int, int, int]

#: One attribute: (name, raw value with its quotes or None).
_ATTR = re.compile(
    rb"([^\t\n\f\r />][^\t\n\f\r />=]*+)(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(\"[^\"]*+\"|'[^']*+'|[^\t\n\f\r >]*+))?+"
)


def attributes(low: bytes, start: int, end: int) -> list[Attr]:
    """The attributes between a tag's name (``start``) and its ``>`` (``end``) in the lower-cased
    buffer ``low``."""
    out: list[Attr] = []
    for m in _ATTR.finditer(low, start, end):
        vs, ve = m.span(2)
        out.append((m.group(1), m.start(1), m.end(1), vs, ve))
    return out


def value_of(data: bytes, attr: Attr) -> bytes:
    """The attribute's value as written in ``data`` (quotes stripped, entities not decoded)."""
    vs, ve = attr[3], attr[4]
    if vs < 0:
        return b""
    if ve - vs >= 2 and data[vs] in b"\"'":
        return data[vs + 1 : ve - 1]
    return data[vs:ve]


def first_value(data: bytes, attrs: list[Attr], name: bytes) -> bytes | None:
    """The value of the first attribute called ``name`` (browsers ignore later duplicates)."""
    for attr in attrs:
        if attr[0] == name:
            return value_of(data, attr)
    return None


def decoded(raw: bytes) -> str:
    """A raw attribute value as text, its character references decoded (UTF-8 when it is, else
    one character per byte)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return html.unescape(text) if "&" in text else text


def _windows_1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # (the five bytes it leaves undefined: as in latin-1)
        return chr(byte)


#: Windows-1252's characters for 0x80-0x9F, where latin-1 has C1 controls.
_WINDOWS_1252: Final = {byte: _windows_1252(byte) for byte in range(0x80, 0xA0)}


#: The other encodings a page read as ASCII-compatible may be in (the WHATWG Encoding standard's
#: legacy ones, as Python has them) whose characters a URL parser maps to ASCII, so that bytes the
#: rewriter does not take for a host are one: fullwidth letters and full stops in Shift_JIS,
#: EUC-JP (and its NEC row 13: circled digits, units), GBK/gb18030, Big5 and EUC-KR, '№' in the
#: Cyrillic ones, ligatures in Mac Roman. (windows-1252's 'ª', '™'... are read above.)
_LEGACY: Final = ("cp932", "euc_jp", "euc_jis_2004", "gb18030", "big5hkscs", "cp949", "cp1251", "mac_roman")
#: Where a URL's host holds a byte that is not ASCII: after ``//`` (or a backslash, or a scheme's
#: ``:``, and any more slashes; tabs and newlines a URL parser drops), before its path, query or
#: fragment. (A URL whose host is ASCII is read the same in every one of those encodings: their
#: trailing bytes never make a ``/``, ``?``, ``#``, a quote or whitespace.)
_HOST_CHARS = rb"[\t\n\r/\\]*+[^\x00-\x08\x0b\x0c\x0e-\x20\"'()<>;/?#\\]*?[\x80-\xff]"
#: (Three searches that each start with a literal byte, so that the engine skims to it at C speed.)
_HOST_NOT_ASCII: Final = tuple(re.compile(start + _HOST_CHARS) for start in (rb"/[\t\n\r]*/", rb"\\", rb":"))
#: What ends a run that may be a URL (no trailing byte of those encodings is one of these).
_RUN_END = re.compile(rb"[\x00-\x20\"'()<>;]")
#: How far back a run's start is looked for, and on its end (a host is at most 253 characters).
_BACK: Final = 256
_ON: Final = 2048


class Reading(NamedTuple):
    """Which readings of a value's bytes a page's encoding calls for, beside :func:`decoded`'s:
    ``name`` the encoding (None: not known, every one), ``windows_1252`` and ``utf8`` (U+FFFD for
    a byte that is not UTF-8) those two, ``legacy`` the Python codecs of :data:`_LEGACY` it is
    (tried on a value or a run whose URL host holds bytes that are not ASCII)."""

    name: str | None
    windows_1252: bool
    utf8: bool
    legacy: tuple[str, ...]


#: A page whose encoding is not known (no ``charset``, no byte order mark, no ``<meta>``: a
#: browser's default or its guess decides): every reading.
EVERY_READING: Final = Reading(None, True, True, _LEGACY)
#: The encodings whose readings are known (the WHATWG names): a page in any other is read every way.
_READINGS: Final = {
    reading.name: reading
    for reading in (
        Reading("utf-8", False, True, ()),
        Reading("windows-1252", True, False, ()),
        Reading("shift_jis", False, False, ("cp932",)),
        Reading("euc-jp", False, False, ("euc_jp", "euc_jis_2004")),
        Reading("gbk", False, False, ("gb18030",)),
        Reading("gb18030", False, False, ("gb18030",)),
        Reading("big5", False, False, ("big5hkscs",)),
        Reading("euc-kr", False, False, ("cp949",)),
        Reading("windows-1251", False, False, ("cp1251",)),
        Reading("macintosh", False, False, ("mac_roman",)),
    )
}


def reading_of(encoding: str | None) -> Reading:
    """The readings of a page a browser decodes in ``encoding`` (a WHATWG name; None: unknown)."""
    return _READINGS.get(encoding, EVERY_READING) if encoding is not None else EVERY_READING


def decodings(raw: bytes, reading: Reading = EVERY_READING) -> tuple[str, ...]:
    """The texts a raw value may be, its references decoded: :func:`decoded`'s, and when it holds
    bytes that are not ASCII, those ``reading`` calls for: as windows-1252 reads them (how browsers
    and html5lib read a page that is not UTF-8 or declares windows-1252 or latin-1: 0x80 is '€',
    not a control), as UTF-8 with U+FFFD for a byte that is not (a UTF-8 page), and as the legacy
    encodings (:data:`_LEGACY`) read them. A page whose encoding is not known may be in any."""
    text = decoded(raw)
    if raw.isascii():
        return (text,)
    out = [text]
    legacy: list[str] = []
    if reading.legacy:
        # (Its references decoded to find its host; one that is not latin-1 is already read above.)
        probe = (
            raw if raw.find(b"&") < 0 else html.unescape(raw.decode("latin-1")).encode("latin-1", "ignore")
        )
        if any(r.search(probe) is not None for r in _HOST_NOT_ASCII):
            legacy = _legacy(raw, reading.legacy)
    others = [raw.decode("latin-1").translate(_WINDOWS_1252)] if reading.windows_1252 else []
    if reading.utf8:
        # A UTF-8 page with a stray byte in a value: browsers read U+FFFD for it, the rest as UTF-8.
        others.append(raw.decode("utf-8", "replace"))
    for other in (*others, *legacy):
        other = html.unescape(other) if "&" in other else other
        if other not in out:
            out.append(other)
    return tuple(out)


def _legacy(raw: bytes, codecs: tuple[str, ...] = _LEGACY) -> list[str]:
    return [raw.decode(encoding, "replace") for encoding in codecs]


def with_legacy_readings(text: bytes, codecs: tuple[str, ...] = _LEGACY) -> bytes:
    """``text`` (a script's or a style's), and after it, one per line in UTF-8, each run in it whose
    URL host holds bytes that are not ASCII as the legacy encodings ``codecs`` read it (a URL written
    in fullwidth letters in a Shift_JIS page is a URL to a browser)."""
    if not codecs or text.isascii():
        return text
    lines = [text]
    done = 0
    found = sorted((m.start(), m.end()) for r in _HOST_NOT_ASCII for m in r.finditer(text))
    for at, to in found:
        if at < done:
            continue
        # The run around it: back to what ends a URL (its scheme is near), on to the same.
        start = at
        window = text[max(0, start - _BACK) : start]
        before = _RUN_END.findall(window)
        if before:
            start -= len(window) - window.rfind(before[-1]) - 1
        else:
            start -= len(window)
        end = _RUN_END.search(text, to, to + _ON)
        done = end.start() if end is not None else min(len(text), to + _ON)
        run = text[start:done]
        seen = {run.decode("utf-8", "replace")}
        for other in _legacy(run, codecs):
            if other not in seen:
                seen.add(other)
                lines.append(other.encode("utf-8", "surrogatepass"))
    return b"\n".join(lines)


#: A character reference (numeric, or named and ended by ``;``): ``&&`` and ``a & b`` are none.
_REFERENCE = re.compile(rb"&(?:#|[A-Za-z][A-Za-z0-9]*+;)")


def with_references_decoded(text: bytes, reading: Reading = EVERY_READING) -> bytes:
    """``text`` with the legacy readings ``reading`` calls for (:func:`with_legacy_readings`), and
    after it the same with its character references decoded when it holds any: a script's or a
    style's text is markup in SVG/MathML, where a browser decodes them (in HTML it does not, and a
    text judged both ways only errs on the safe side)."""
    text = with_legacy_readings(text, reading.legacy)
    if text.find(b"&") < 0 or _REFERENCE.search(text) is None:
        return text
    return text + b"\n" + html.unescape(text.decode("utf-8", "replace")).encode("utf-8")


def explicit_category(data: bytes, attrs: list[Attr]) -> str | None:
    """The site's own ``data-cg-category``, lower-cased; None when absent or empty."""
    raw = first_value(data, attrs, CATEGORY_ATTR)
    if raw is None:
        return None
    return decoded(raw).strip(" \t\n\f\r").lower() or None


def runs_script(data: bytes, attrs: list[Attr]) -> bool:
    """True when a browser would run this script element (by its ``type``/``language``)."""
    kind = first_value(data, attrs, b"type")
    language = first_value(data, attrs, b"language") if kind is None else None
    return script_runs(
        None if kind is None else decoded(kind), None if language is None else decoded(language)
    )


def font_breaks(low_tag: bytes) -> bool:
    """Whether a ``<font>`` start tag (lower case, whole) leaves foreign content: with a ``color``,
    ``face`` or ``size`` attribute it is one of the HTML standard's breakout tags."""
    return any(a[0] in (b"color", b"face", b"size") for a in attributes(low_tag, 5, len(low_tag)))
