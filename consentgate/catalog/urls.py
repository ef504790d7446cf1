"""URLs as browsers read them, for the catalog's host and path rules.

:func:`split_url` parses with a WHATWG URL parser (ada, the one Node.js uses), so that a tag cannot
slip past the catalog by spelling its URL the way only browsers forgive: ``http:host`` without
slashes, backslashes, tabs and newlines inside, percent-encoded or fullwidth hosts, ideographic
full stops (``www。facebook。com``), IDNA, ports and userinfo. :func:`compile_path` turns a written
path rule into the regex the catalog matches.
"""

from __future__ import annotations

import re
from typing import Final

from ada_url import URL

__all__ = ["FIRST_PARTY", "FIRST_PARTY_HOST", "compile_path", "normal_host", "plain_split", "split_url"]

#: What a relative URL resolves against when the page gave no ``<base href>``: the page's own
#: origin, which the rewriter does not know and which is never a catalog host.
FIRST_PARTY: Final = "https://first-party.invalid/"
FIRST_PARTY_HOST: Final = "first-party.invalid"
_WEB: Final = frozenset({"http:", "https:"})
#: Bytes that make a host worth the full parser (anything but plain lower-case ASCII labels).
_PLAIN_HOST = re.compile(r"[a-z0-9.-]+")
#: An http(s) or scheme-relative URL whose host the WHATWG parser leaves as written, lower-cased:
#: ASCII labels right after the two slashes, the last one starting with a letter (so never an IPv4
#: address), up to a path, query, fragment or the end (no port, userinfo, backslash, tab or
#: newline, percent-encoding or leading space; punycode is told apart by the caller).
_PLAIN_URL = re.compile(
    r"(?:[hH][tT][tT][pP][sS]?:)?//((?:[A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*)\.?(?=[/?#]|\Z)"
)
#: A path and query the WHATWG parser copies unchanged: no byte it percent-encodes, no ``%``
#: (``%2e`` is a dot segment), then an optional fragment (dropped).
_PLAIN_REST = re.compile(
    r"(/[A-Za-z0-9_~!$&()*+,;=:@./-]*)?(\?[A-Za-z0-9_~!$&()*+,;=:@./?-]*)?(?:#.*)?\Z", re.S
)


def split_url(url: str, base: str | None = None) -> tuple[str, str] | None:
    """``(host, path?query)`` of the http(s) URL a browser would fetch for ``url`` written in a
    page whose base URL is ``base`` (None: the page's own, unknown, first-party origin); None for
    other schemes, first-party URLs and what a browser would not parse.

    Without a base, ``https:host/x`` counts as absolute (it is, on an ``http:`` page) and on a
    same-scheme page it is relative (first party): the catalog answers for the absolute reading,
    the one that can reach a third party.
    """
    try:
        parsed = URL(url)
    except ValueError:
        try:
            parsed = URL(url, base or FIRST_PARTY)
        except ValueError:
            return None
    if parsed.protocol not in _WEB:
        return None
    host = parsed.hostname.rstrip(".")
    if not host or host == FIRST_PARTY_HOST:
        return None
    return host, (parsed.pathname or "/") + parsed.search


def plain_split(url: str, path: bool = True) -> tuple[str, str] | None:
    """What :func:`split_url` gives for ``url`` (no base), read without the full parser when the
    URL is plain (the common case); None when it is not plain, then :func:`split_url` decides. With
    ``path=False`` the second part is not computed ("") and only the host has to be plain.

    The first-party placeholder host (:data:`FIRST_PARTY_HOST`) is not told apart: the caller
    checks it.
    """
    m = _PLAIN_URL.match(url)
    if m is None:
        return None
    host = m.group(1).lower()
    if "xn--" in host:  # punycode is validated by the parser
        return None
    if not path:
        return host, ""
    rest = _PLAIN_REST.match(url, m.end())
    if rest is None:
        return None
    pathname = rest.group(1) or "/"
    if "/." in pathname:  # dot segments are resolved by the parser
        return None
    query = rest.group(2)
    return host, pathname + (query if query is not None and query != "?" else "")


def normal_host(authority: str) -> str:
    """The host of an authority as a browser normalises it (lower case, IDNA, fullwidth forms and
    ideographic full stops folded, no userinfo, port or trailing dot); "" when it is not a host."""
    authority = authority.strip()
    if _PLAIN_HOST.fullmatch(authority):
        return authority.rstrip(".")
    try:
        parsed = URL("https://" + authority + "/")
    except ValueError:
        return ""
    return parsed.hostname.rstrip(".")


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
