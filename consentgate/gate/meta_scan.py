"""The encoding a page's own ``<meta>`` declares, found as Chromium finds it before decoding.

The HTML standard's prescan looks at the first 1024 bytes; Chromium (``HTMLMetaCharsetParser``)
reads the page with its tokenizer instead (so a ``<meta>`` in a script's text does not count) and
goes on past 1024 bytes for as long as only head elements came (``<title>``, ``<script>``,
``<style>``, ``<link>``, ``<meta>``, ``<base>``, ``<object>``, ``<noscript>``): a ``<meta
charset=iso-2022-jp>`` after a long title still decides. This follows Chromium; where another
browser would read the page otherwise, the gate's answer is made the only one (see
:mod:`.charsets`: the response's ``Content-Type`` then names it, or nothing can switch encodings).
"""

from __future__ import annotations

import html
import re
from typing import Final

from .encoding_labels import encoding_of

__all__ = ["SCAN_LIMIT", "meta_encoding", "xml_encoding"]

#: Bytes read unconditionally, and the most ever held back to find a declaration.
_UNCONDITIONAL: Final = 1024
SCAN_LIMIT: Final = 64 * 1024
#: Start tags that keep the scan "in the head" (Chromium's list); end tags never end it.
_HEAD_TAGS: Final = frozenset(
    {b"script", b"noscript", b"style", b"link", b"meta", b"object", b"title", b"base", b"html", b"head"}
)
#: Elements whose text is not markup for the tokenizer, and what ends it.
_RAW_END: Final = {
    name: re.compile(rb"</" + name + rb"[\t\n\f\r />]", re.I)
    for name in (b"script", b"style", b"title", b"textarea", b"xmp", b"iframe", b"noembed", b"noframes")
}
#: A start tag that ends the head for the scan (one not in :data:`_HEAD_TAGS`).
_LEAVES_HEAD: Final = re.compile(
    rb"<(?!(?:script|noscript|style|link|meta|object|title|base|html|head)[\t\n\f\r />])[a-z]"
)
#: A tag as the tokenizer reads it, in one match: its name, its attributes (a quote starts a
#: value only after '=', as in :data:`_ATTR`), its '>' (group 3; None when the bytes end first).
_TAG: Final = re.compile(
    rb"<(/?)([A-Za-z][^\t\n\f\r />]*+)(?:[\t\n\f\r /]++|[^\t\n\f\r />][^\t\n\f\r />=]*+"
    rb"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:\"[^\"]*+\"|'[^']*+'|[^\t\n\f\r >]*+))?+)*+(>)?"
)
_SPACE_OR_SLASH: Final = re.compile(rb"[\t\n\f\r /]*")
_ATTR: Final = re.compile(
    rb"([^\t\n\f\r />][^\t\n\f\r />=]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*(\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*))?"
)
_CHARSET_IN_CONTENT: Final = re.compile(
    r"charset[\t\n\f\r ]*=[\t\n\f\r ]*(?:\"([^\"]*)\"|'([^']*)'|([^\t\n\f\r ;\"']+))", re.I
)
_WS: Final = " \t\n\f\r"
#: ``<?xml`` in UTF-16 without a byte order mark, which Chromium takes for UTF-16.
_XML_UTF16: Final = {b"<\x00?\x00x\x00m\x00l\x00": "utf-16le", b"\x00<\x00?\x00x\x00m\x00l": "utf-16be"}
_XML_ENCODING: Final = re.compile(rb"encoding[\x00-\x20]*=[\x00-\x20]*(?:\"([^\"]*)\"|'([^']*)')")


def meta_encoding(head: bytes, final: bool) -> tuple[str | None, bool]:
    """``(encoding the page's meta declares or None, decided)``: not decided while ``head`` (the
    page's first bytes) may still hold it, unless ``final`` (the whole page) or it is
    :data:`SCAN_LIMIT` long."""
    n = min(len(head), SCAN_LIMIT)
    done = final or len(head) >= SCAN_LIMIT
    # A page that names its encoding does so in its first tags, most often: those are read at
    # once, without a lower-case copy of the page (what follows is read exactly all the same).
    early = min(n, _UNCONDITIONAL)
    if head.find(b"<meta", 0, early) < 0 or head.find(b"charset", 0, early) < 0:
        low = head[:n].lower()
        if low.find(b"<meta") < 0 or (low.find(b"charset") < 0 and low.find(b"&") < 0):
            # No meta that could name an encoding yet (the common page): where the scan would
            # stop is all that is left to tell, from the first tag that leaves the head (text
            # that only looks like one, in a script, makes it stop sooner: no meta there is
            # found then either).
            leaves = _LEAVES_HEAD.search(low)
            stop = max(_UNCONDITIONAL, leaves.start() if leaves is not None else n + 1)
            return None, done or stop <= n
    return _scan(head, n, done)


def _scan(head: bytes, n: int, done: bool) -> tuple[str | None, bool]:
    """:func:`meta_encoding`'s answer, tag by tag (``n``: the bytes to read)."""
    pos = 0
    in_head = True
    while True:
        if not in_head and pos >= _UNCONDITIONAL:
            return None, True
        lt = head.find(b"<", pos, n)
        if lt < 0:
            return None, done
        if not in_head and lt >= _UNCONDITIONAL:  # (the text before it was a token read)
            return None, True
        if head.startswith(b"<!--", lt):
            end = head.find(b"-->", lt + 2, n)  # ('<!-->' is a whole comment)
            if end < 0:
                return None, done
            pos = end + 3
            continue
        tag = _TAG.match(head, lt, n)
        if tag is None:
            if head.startswith((b"<!", b"<?"), lt) or head.startswith(b"</", lt):
                gt = head.find(b">", lt, n)
                if gt < 0:
                    return None, done
                pos = gt + 1
            else:
                pos = lt + 1
            continue
        if tag.group(3) is None:
            return None, done
        pos = tag.end()
        if tag.group(1):
            continue
        name = tag.group(2).lower()
        if name == b"meta":
            found = _declared(_attributes(head, tag.end(2), n)[0])
            if found is not None:
                return found, True
        elif name in _RAW_END:
            m = _RAW_END[name].search(head, pos, n)
            if m is None:
                return None, done
            pos = m.start()
        elif name == b"plaintext":
            return None, True
        if name not in _HEAD_TAGS:
            in_head = False


def _attributes(head: bytes, at: int, n: int) -> tuple[dict[bytes, str], int]:
    """The attributes of a start tag (the first of each name, references decoded) and where its
    ``>`` ends; -1 when the tag does not end within ``head``."""
    attrs: dict[bytes, str] = {}
    while True:
        at = _SPACE_OR_SLASH.match(head, at, n).end()  # type: ignore[union-attr]
        if at >= n:
            return attrs, -1
        if head[at] == 0x3E:  # '>'
            return attrs, at + 1
        m = _ATTR.match(head, at, n)
        if m is None:  # pragma: no cover - the class above takes any other byte
            return attrs, -1
        raw = m.group(2) or b""
        if raw[:1] in (b'"', b"'"):
            raw = raw[1:-1]
        name = m.group(1).lower()
        if name not in attrs:
            text = raw.decode("latin-1")
            attrs[name] = html.unescape(text) if "&" in text else text
        at = m.end()


def _declared(attrs: dict[bytes, str]) -> str | None:
    """Chromium's reading of one ``<meta>``: the first of ``charset`` and ``content`` (this one
    with ``http-equiv=content-type``) that holds a label; a label no browser knows does not count
    (the scan goes on)."""
    label = ""
    from_content = pragma = False
    for name, value in attrs.items():
        if name == b"http-equiv":
            pragma = pragma or value.strip(_WS).lower() == "content-type"
        elif not label and name == b"charset":
            label, from_content = value, False
        elif not label and name == b"content":
            m = _CHARSET_IN_CONTENT.search(value)
            if m is not None:
                label, from_content = next(g for g in m.groups() if g is not None), True
    if not label or (from_content and not pragma):
        return None
    found = encoding_of(label.encode("latin-1", "replace"))
    if found in ("utf-16le", "utf-16be"):
        return "utf-8"  # a page that names UTF-16 in itself is read as UTF-8
    if found == "x-user-defined":
        return "windows-1252"
    return found


def xml_encoding(head: bytes, final: bool) -> tuple[str | None, bool]:
    """``(encoding, decided)`` of an XML declaration at the very start of a page, which Chromium
    honours in HTML too (below a ``<meta>``, which wins): ``<?xml`` written in UTF-16 is UTF-16,
    ``<?xml ... encoding="x"?>`` is ``x`` (UTF-16 there means UTF-8, as in a meta)."""
    short = not final and len(head) < 10
    if short and (b"<?xml".startswith(head[:5]) or any(prefix.startswith(head) for prefix in _XML_UTF16)):
        return None, False
    found = _XML_UTF16.get(head[:10])
    if found is not None:
        return found, True
    if not head.startswith(b"<?xml"):
        return None, True
    end = head.find(b">")
    if end < 0:
        return None, final or len(head) >= SCAN_LIMIT
    m = _XML_ENCODING.search(head, 0, end)
    if m is None:
        return None, True
    label = m.group(1) if m.group(1) is not None else m.group(2)
    found = encoding_of(label)
    return ("utf-8" if found in ("utf-16le", "utf-16be") else found), True
