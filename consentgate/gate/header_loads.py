"""Response headers that make a browser fetch or go elsewhere before any tag is read.

A ``Link`` header is a ``<link>`` element the browser reads from the headers: ``rel=preload``,
``modulepreload``, ``prefetch``, ``preconnect``, ``dns-prefetch`` (and ``stylesheet`` in Firefox)
fetch or connect as the response arrives, with the tracker's cookies where the fetch is
credentialed. Frameworks, CDNs and WordPress plugins send them for the very scripts the rewriter
makes inert (``Link: <https://www.googletagmanager.com/gtm.js?id=...>; rel=preload; as=script``).
``Refresh`` is ``<meta http-equiv=refresh>`` as a header. So on a response to a visitor who
refused a category, a link whose URL belongs to it is dropped from its ``Link`` header (the
others kept, in order), and a ``Refresh`` that goes to it is dropped.

URLs are judged as the rewriter judges a loading attribute (:meth:`.RewritePlan.match_url`): a
relative URL is first party, an unknown host counts as refused in deny-by-default mode. The
``rel`` is not read: a link to a tracker that does not fetch (``rel=canonical``) has no use on a
page, and one less rule to get wrong. A ``Link`` value that names a refused URL but does not split
into links (an unclosed quote, a ``<`` left open) is dropped whole: what a browser would make of it
is not worth a guess.

Other headers name URLs the browser sends requests to on its own (:mod:`.report_headers`):
``Speculation-Rules`` (the rules' JSON, fetched as the page loads), the ``report-uri`` of a
``Content-Security-Policy`` (or ``-Report-Only``: a report on every violation, to a tracker a
beacon), ``Reporting-Endpoints`` and ``Report-To`` (where CSP, NEL, COOP and deprecation reports
go). Only their refused URLs go; the policy itself always stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from .report_headers import POLICIES, REPORTING, gated_reporting
from .rewrite import RewritePlan

__all__ = ["LINK", "POLICIES", "REFRESH", "REPORTING", "gated_header_loads"]

#: The header names this module reads, as the response path matches them (lower case).
LINK: Final = b"link"
REFRESH: Final = b"refresh"

#: Every URL of a ``Link`` value: between ``<`` and ``>``, or to the end where no ``>`` closes it.
_URLS: Final = re.compile(rb"<([^>]*)")
#: One link of a ``Link`` value: its ``<URL>`` and parameters, up to a comma outside quotes.
_ONE_LINK: Final = re.compile(rb'[ \t]*(<[^>]*>(?:[^,"<]|"(?:[^"\\]|\\.)*")*)(?:,|$)', re.S)
#: The URL of a ``Refresh`` value (``5; url=https://...``), as browsers read a meta refresh.
_REFRESH_URL: Final = re.compile(rb"^[\s\d.]*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]*)", re.I)


def gated_header_loads(
    headers: Iterable[tuple[bytes, bytes]], plan: RewritePlan, blocked: frozenset[str]
) -> list[tuple[bytes, bytes]]:
    """``headers`` without the links and refreshes to a category in ``blocked`` (see the module)."""
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        low = name.lower()
        if low == LINK:
            kept = _kept_links(value, plan, blocked)
            if kept is None:
                continue
            value = kept
        elif low == REFRESH:
            target = _REFRESH_URL.match(value)
            if target is not None and _refused(target.group(1).strip(), plan, blocked):
                continue
        elif low in REPORTING:
            kept = gated_reporting(low, value, lambda url: _refused(url, plan, blocked))
            if kept is None:
                continue
            value = kept
        out.append((name, value))
    return out


def _kept_links(value: bytes, plan: RewritePlan, blocked: frozenset[str]) -> bytes | None:
    """``value`` without its links to a refused URL (unchanged when none is); None when nothing
    of it is left, or it names a refused URL and does not split into links."""
    if not any(_refused(url, plan, blocked) for url in _URLS.findall(value)):
        return value
    links: list[bytes] = []
    pos, end = 0, len(value.rstrip(b" \t"))
    while pos < end:
        found = _ONE_LINK.match(value, pos)
        if found is None:
            return None
        links.append(found.group(1).rstrip(b" \t"))
        pos = found.end()
    kept = [link for link in links if not any(_refused(url, plan, blocked) for url in _URLS.findall(link))]
    return b", ".join(kept) if kept else None


def _refused(url: bytes, plan: RewritePlan, blocked: frozenset[str]) -> bool:
    service = plan.match_url(url.strip(b" \t"))
    return service is not None and plan.refuses(service.category, blocked)
