"""The URLs of a ``srcset`` (``img``, ``source``) or ``imagesrcset`` (``link``), as the HTML
standard's "parse a srcset attribute" algorithm reads them.

Every candidate's URL is returned, whether or not its descriptors are valid: a browser may fetch
any of them, so the rewriter must look at all of them.
"""

from __future__ import annotations

import re

__all__ = ["srcset_urls"]

_WS = " \t\n\f\r"
#: One candidate: its URL (a run of non-whitespace), then its descriptors up to a comma that is
#: not inside parentheses (the spec's descriptor tokenizer).
_CANDIDATE = re.compile(r"[ \t\n\f\r,]*+([^ \t\n\f\r]++)((?:[^,(]++|\([^)]*+\)?+)*+)")


def srcset_urls(value: str) -> list[str]:
    """The URL of every candidate of ``value`` (character references already decoded)."""
    urls = []
    at = 0
    size = len(value)
    while at < size:
        m = _CANDIDATE.match(value, at)
        if m is None:
            break
        url = m.group(1)
        if url.endswith(","):
            # A URL that ends in a comma ends its candidate there (no descriptors).
            urls.append(url.rstrip(","))
            at = m.start(1) + len(url)
            continue
        urls.append(url)
        at = m.end() + 1  # past the comma that ends the descriptors
    # A URL with a comma inside is one URL to a browser; its pieces are looked at too, so that a
    # catalog path rule cannot be dodged by gluing two candidates together.
    return [piece for url in urls for piece in ((url, *url.split(",")) if "," in url else (url,)) if piece]
