"""URLs as browsers read them, for the catalog's host and path rules.

:func:`split_url` and :func:`normal_host` forgive what browsers forgive (case, ports, userinfo,
backslashes, stray tabs) so that a tag cannot slip past the catalog by spelling its URL oddly;
:func:`compile_path` turns a written path rule into the regex the catalog matches.
"""

from __future__ import annotations

import re

__all__ = ["compile_path", "normal_host", "split_url"]

_URL_JUNK = re.compile(r"[\t\n\r]")


def split_url(url: str) -> tuple[str, str] | None:
    """``(host, rest)`` of an absolute http(s) or protocol-relative URL, else None.

    Follows what browsers do: leading/trailing spaces and inner tabs/newlines are ignored, the
    scheme and host are case-insensitive, ``\\`` counts as ``/``, userinfo and port are dropped.
    """
    url = url.strip(" \t\n\r\f\v\x00")
    if "\t" in url or "\n" in url or "\r" in url:
        url = _URL_JUNK.sub("", url)
    head = url[:8].lower().replace("\\", "/")
    if head.startswith("//"):
        start = 2
    elif head.startswith("https://"):
        start = 8
    elif head.startswith("http://"):
        start = 7
    else:
        return None
    # Browsers accept any run of slashes after the scheme (https:////host).
    while start < len(url) and url[start] in "/\\":
        start += 1
    end = len(url)
    for stop in "/?#\\":
        at = url.find(stop, start, end)
        if at >= 0:
            end = at
    host = normal_host(url[start:end])
    if not host:
        return None
    rest = url[end:].replace("\\", "/") if end < len(url) else "/"
    if not rest.startswith("/"):
        rest = "/" + rest
    return host, rest


def normal_host(authority: str) -> str:
    """The lower-case host of an authority, without userinfo, port or a trailing dot."""
    at = authority.rfind("@")
    if at >= 0:
        authority = authority[at + 1 :]
    if authority.startswith("["):  # an IPv6 literal: never a tracker host of ours
        return authority.lower()
    colon = authority.find(":")
    if colon >= 0:
        authority = authority[:colon]
    if "%" in authority:
        from urllib.parse import unquote

        authority = unquote(authority)
    return authority.strip().rstrip(".").lower()


def compile_path(path: str) -> re.Pattern[str]:
    """A path rule as a regex matched at the start of ``path?query`` (lower-cased).

    ``*`` stands for one path segment (``/*/fbevents.js`` covers every locale). A rule ending in
    ``/`` or holding ``?`` is a plain prefix; otherwise it must end at a segment boundary, so that
    ``/tr`` matches ``/tr?id=1`` and ``/tr/`` but not ``/trending``.
    """
    path = path.lower()
    pattern = "[^/?#]*".join(re.escape(part) for part in path.split("*"))
    if not path.endswith("/") and "?" not in path:
        pattern += r"(?=[/?#;]|$)"
    return re.compile(pattern)
