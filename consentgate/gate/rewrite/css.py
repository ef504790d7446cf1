"""The URLs a piece of CSS (a ``style`` attribute, a ``<style>`` element) or of script may fetch.

``url()``, ``@import``, ``image-set()`` and ``src`` all end up as an absolute or protocol-relative
URL in the text once CSS escapes are decoded, so the text is unescaped and every such URL is
returned: a string that is never fetched only costs a look-up.
"""

from __future__ import annotations

import re

from .data_urls import data_document

__all__ = ["URL_IN_TEXT", "css_urls", "script_urls"]

#: A CSS escape: a backslash and up to six hex digits (and one optional space), or any character.
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(.))", re.S)
#: A CSS comment, or what CSS reads as one token in which ``/*`` starts none: a string (to its
#: quote or the end of its line), an unquoted ``url(...)``, an escape. Only the comments go: a
#: ``"/*"`` in a string or a ``url(/*)`` must not hide the URLs after it, as it did.
_COMMENT = re.compile(
    r"""(/\*.*?(?:\*/|$))|\\.|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|url\([ \t\n\r\f]*(?!["' \t\n\r\f])(?:[^)\\]|\\.)*\)?""",
    re.S | re.I,
)
#: An absolute (``scheme:``) or protocol-relative URL in decoded text, up to what ends it in CSS,
#: HTML or JavaScript source (``http:host`` and ``http:/host`` reach ``host`` too). A backslash is
#: a slash to a URL parser in an http(s) URL: a CSS or JavaScript string's ``https:\\\\\\\\host``
#: is ``https:\\\\host`` decoded, which loads ``https://host``.
URL_IN_TEXT = re.compile(
    r"(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?[/\\]{2}[^\s\"'<>()`,;{}]*|https?:[/\\]?[^\s\"'<>()`,;{}\\/]+[^\s\"'<>()`,;{}]*",
    re.I,
)
#: What a URL parser drops wherever it stands in a URL.
_URL_DROPS = {9: None, 10: None, 13: None}
#: A ``data:`` URL in decoded text (its code may be percent-encoded or base64: no quote, space or
#: parenthesis in it), and how deep code in a ``data:`` URL is followed.
_DATA_URL = re.compile(r"data:[^\s\"'()`]*", re.I)
_DATA_DEPTH = 4
_CSS_TYPES = frozenset({"text/css"})
#: What loads nothing of its own (an SVG image is shown without its subresources).
_INERT_TYPES = ("image/", "font/", "audio/", "video/")


def _unescape(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        code = int(m.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return m.group(2)


def _outside_comments(m: re.Match[str]) -> str:
    return " " if m.group(1) is not None else m.group(0)


def css_urls(text: str, depth: int = 0) -> list[str]:
    """The absolute and protocol-relative URLs in CSS ``text`` (escapes decoded, comments out), and
    those of the CSS or script in its ``data:`` URLs (``depth``: how deep in those this text is)."""
    if "/*" in text:
        # (before the escapes are decoded, as CSS reads them: an escape makes no comment)
        text = _COMMENT.sub(_outside_comments, text)
    if "\\" in text:
        text = _ESCAPE.sub(_unescape, text)
    urls = URL_IN_TEXT.findall(text)
    if "\t" in text or "\n" in text or "\r" in text:
        # A URL parser drops tabs and newlines (a CSS string may hold a tab, an escape any of
        # them): the URLs of the text without them too, as well as those it names with them
        # (where they end a URL).
        urls += URL_IN_TEXT.findall(text.translate(_URL_DROPS))
    if depth < _DATA_DEPTH:
        urls += _data_urls(text, depth)
    return urls


def _data_urls(text: str, depth: int) -> list[str]:
    """The URLs of the code in the ``data:`` URLs of ``text``: ``@import url(data:text/css;base64,...)``
    loads the stylesheet it holds, whose ``url()`` and ``@import`` Chromium 156 fetched through the
    gate; a script's ``import("data:text/javascript,...")`` runs the code it holds. CSS is read as CSS,
    an image, font or media as nothing, any other type as script."""
    urls: list[str] = []
    for url in _DATA_URL.findall(text):
        found = data_document(url)
        if found is None:
            continue
        essence, body = found
        if essence.startswith(_INERT_TYPES):
            continue
        code = body.decode("utf-8", "replace")
        urls += css_urls(code, depth + 1) if essence in _CSS_TYPES else script_urls(code, depth + 1)
    return urls


#: A JavaScript (and JSON) escape in a string: ``\xHH``, ``\uHHHH``, ``\u{H…}``, legacy octal (``\57``,
#: ``\057``), a line continuation, or one character (``\n`` is a newline, ``\/`` a slash…).
_JS_ESCAPE = re.compile(
    r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]{1,6})\}|([0-3][0-7]{0,2}|[4-7][0-7]?)|(\r\n|[\s\S]))"
)
_JS_SINGLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_JS_CONTINUATIONS = frozenset({"\n", "\r", "\r\n", "\u2028", "\u2029"})


def _js_unescape(m: re.Match[str]) -> str:
    code = m.group(1) or m.group(2) or m.group(3)
    if code is not None:
        number = int(code, 16)
        return chr(number) if number <= 0x10FFFF and not 0xD800 <= number <= 0xDFFF else "\ufffd"
    if m.group(4) is not None:
        return chr(int(m.group(4), 8))
    one = m.group(5)
    return "" if one in _JS_CONTINUATIONS else _JS_SINGLE.get(one, one)


def script_urls(text: str, depth: int = 0) -> list[str]:
    r"""The absolute and protocol-relative URLs a script, a handler or JSON ``text`` names, read in
    its strings as the engine reads them: JavaScript's and JSON's escapes decoded
    (``https:\/\/www.f\u0061cebook.com``), and CSS's too (a handler may set a style). A string can
    hold a tab, an escape a newline (a template literal a raw one), which a URL parser drops: then
    the URLs of the text without them count as well. A URL built from pieces at run time
    (``"//www." + host``) is not seen.

    What decides whether a text is read without its newlines does not change when the rewriter
    neutralises an end tag in it (``<\/script``, whose escape makes no newline): a second rewrite
    judges the text as the first did."""
    if text.find("\\") < 0:
        decoded, css = text, None
    else:
        decoded = _JS_ESCAPE.sub(_js_unescape, text)
        css = _ESCAPE.sub(_unescape, text)
    urls = URL_IN_TEXT.findall(decoded)
    if css is not None:
        urls += URL_IN_TEXT.findall(css)
    if (
        decoded.find("\t") >= 0
        or text.find("`") >= 0
        or (decoded is not text and _lines(decoded) > _lines(text))
    ):
        urls += URL_IN_TEXT.findall(decoded.translate(_URL_DROPS))
    if depth < _DATA_DEPTH:
        urls += _data_urls(decoded, depth)
    return urls


def _lines(text: str) -> int:
    return text.count("\n") + text.count("\r")
