"""Whether a body without one Content-Type is HTML, the way browsers sniff it.

The WHATWG MIME Sniffing standard ("identifying a resource with an unknown MIME type"): leading
whitespace skipped, then one of a few tags (``<!DOCTYPE HTML``, ``<html``, ``<script``, ...) in any
case, followed by a space or ``>``. The gate errs towards HTML: a head too short to tell, or one
that could still become such a tag, counts as HTML (rewriting a page that is not one costs little;
letting a page through unrewritten lets its tags run). ``<?xml`` counts too: an XML document can
carry XHTML scripts.
"""

from __future__ import annotations

from typing import Final

__all__ = ["is_html_type", "sniffs_as_html"]

_WHITESPACE: Final = b"\t\n\x0c\r "
_TERMINATORS: Final = frozenset(b" >")
#: Upper-cased; each must be followed by a tag-terminating byte (space or ``>``).
_TAGS: Final = (
    b"<!DOCTYPE HTML", b"<HTML", b"<HEAD", b"<SCRIPT", b"<IFRAME", b"<H1", b"<DIV", b"<FONT",
    b"<TABLE", b"<A", b"<STYLE", b"<TITLE", b"<B", b"<BODY", b"<BR", b"<P",
)  # fmt: skip
#: Upper-cased; any continuation.
_PREFIXES: Final = (b"<!--", b"<?XML")
_HEAD: Final = 512


def sniffs_as_html(head: bytes) -> bool:
    """Whether a body starting with ``head`` (its first decoded bytes) may be HTML to a browser."""
    data = head.lstrip(_WHITESPACE)[:_HEAD].upper()
    if not data:
        return True  # nothing to tell by yet
    for tag in _TAGS:
        if data.startswith(tag):
            if len(data) == len(tag) or data[len(tag)] in _TERMINATORS:
                return True
        elif tag.startswith(data):
            return True  # could still become the tag
    return any(data.startswith(p) or p.startswith(data) for p in _PREFIXES)


def is_html_type(content_type: bytes) -> bool:
    """Whether a ``Content-Type`` value names HTML (any case, any parameters)."""
    return content_type.lower().partition(b";")[0].strip() == b"text/html"
