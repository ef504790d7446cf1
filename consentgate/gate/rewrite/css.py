"""The URLs a piece of CSS (a ``style`` attribute, a ``<style>`` element) or of script may fetch.

``url()``, ``@import``, ``image-set()`` and ``src`` all end up as an absolute or protocol-relative
URL in the text once CSS escapes are decoded, so the text is unescaped and every such URL is
returned: a string that is never fetched only costs a look-up.
"""

from __future__ import annotations

import re

__all__ = ["URL_IN_TEXT", "css_urls"]

#: A CSS escape: a backslash and up to six hex digits (and one optional space), or any character.
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(.))", re.S)
_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)
#: An absolute (``scheme:``) or protocol-relative URL in decoded text, up to what ends it in CSS,
#: HTML or JavaScript source (``http:host`` and ``http:/host`` reach ``host`` too).
URL_IN_TEXT = re.compile(
    r"(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//[^\s\"'<>()`,;{}\\]*|https?:/?[^\s\"'<>()`,;{}\\/]+[^\s\"'<>()`,;{}\\]*",
    re.I,
)
#: What a URL parser drops wherever it stands in a URL.
_URL_DROPS = {9: None, 10: None, 13: None}


def _unescape(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        code = int(m.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return m.group(2)


def css_urls(text: str) -> list[str]:
    """The absolute and protocol-relative URLs in CSS ``text`` (escapes decoded, comments out)."""
    if "\\" in text:
        text = _ESCAPE.sub(_unescape, text)
    if "/*" in text:
        text = _COMMENT.sub(" ", text)
    urls = URL_IN_TEXT.findall(text)
    if "\t" in text or "\n" in text or "\r" in text:
        # A URL parser drops tabs and newlines (a CSS string may hold a tab, an escape any of
        # them): the URLs of the text without them too, as well as those it names with them
        # (where they end a URL).
        urls += URL_IN_TEXT.findall(text.translate(_URL_DROPS))
    return urls


#: JavaScript's ways of writing a slash in a string (``\/``, ``\x2f``, ``\u002f``, ``\u{2f}``, the
#: legacy octal ``\57`` and ``\057``), and CSS's (``\2f``), which a handler's text may hold too.
_JS_SLASH = re.compile(r"\\(?:/|x2f|u002f|u\{0*2f\}|0?57|0*2f ?)", re.I)


def script_urls(text: str) -> list[str]:
    """The absolute and protocol-relative URLs a script, a handler or JSON ``text`` names (its
    escaped slashes decoded). A URL built from pieces at run time is not seen."""
    if "\\" in text:
        text = _JS_SLASH.sub("/", text)
    return URL_IN_TEXT.findall(text)
