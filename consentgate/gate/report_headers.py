"""Response headers that name URLs a browser sends requests to on its own, without a tag.

``Speculation-Rules: "<url>"`` makes Chromium fetch the rules' JSON as the page loads (and then
prefetch what it lists). A ``Content-Security-Policy`` (or ``-Report-Only``) with ``report-uri``
posts a report to each URL on every violation, the page's address in it: to a tracker, a beacon.
``Reporting-Endpoints`` (``name="url"``) and ``Report-To`` (JSON groups of endpoints) say where
the Reporting API sends CSP, NEL, COOP, deprecation and intervention reports.

:func:`gated_reporting` takes the refused URLs out of one such header: a string of
``Speculation-Rules``, a URL of ``report-uri`` (the directive goes when none is left; the policy's
other directives are kept as written: a policy is never loosened), a member of
``Reporting-Endpoints``, an endpoint of ``Report-To`` (a group goes when none is left). A value
that names nothing refused is returned as it came (the same object); one that names a refused URL
but does not parse is dropped whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Final

from .rewrite.css import URL_IN_TEXT

__all__ = ["POLICIES", "REPORTING", "gated_reporting"]

_SPECULATION: Final = b"speculation-rules"
_CSP: Final = b"content-security-policy"
_CSP_REPORT_ONLY: Final = b"content-security-policy-report-only"
_ENDPOINTS: Final = b"reporting-endpoints"
_REPORT_TO: Final = b"report-to"
#: The header names (lower case) this module reads.
REPORTING: Final = frozenset({_SPECULATION, _CSP, _CSP_REPORT_ONLY, _ENDPOINTS, _REPORT_TO})
#: Those of them that only matter with a ``report-uri`` in their value (most pages send a CSP).
POLICIES: Final = frozenset({_CSP, _CSP_REPORT_ONLY})

#: A structured-field string, then what separates it from the next member.
_STRING: Final = rb'"((?:[^"\\]|\\.)*)"'
_LIST_MEMBER: Final = re.compile(rb"[ \t]*" + _STRING + rb"((?:[ \t]*;[^,]*)?)[ \t]*(?:,|$)")
_DICT_MEMBER: Final = re.compile(
    rb"[ \t]*([a-z*][a-z0-9_.*-]*)[ \t]*=[ \t]*" + _STRING + rb"((?:[ \t]*;[^,]*)?)[ \t]*(?:,|$)"
)
_ESCAPED: Final = re.compile(rb"\\(.)")
_DIRECTIVES: Final = re.compile(rb"([;,])")
_REPORT_URI: Final = b"report-uri"

Refused = Callable[[bytes], bool]


def gated_reporting(name: bytes, value: bytes, refused: Refused) -> bytes | None:
    """``value`` of header ``name`` (one of REPORTING) without the URLs ``refused`` says yes to;
    None when nothing of it is left (see the module)."""
    if name in (_CSP, _CSP_REPORT_ONLY):
        return _policy(value, refused)
    if not any(refused(url.encode()) for url in URL_IN_TEXT.findall(value.decode("latin-1"))):
        return value  # (every absolute URL of the value: a relative one is first party)
    if name == _SPECULATION:
        return _members(value, _LIST_MEMBER, refused)
    if name == _ENDPOINTS:
        return _members(value, _DICT_MEMBER, refused)
    return _report_to(value, refused)


def _members(value: bytes, member: re.Pattern[bytes], refused: Refused) -> bytes | None:
    """A structured list or dictionary of strings, without the members whose string is refused."""
    kept: list[bytes] = []
    pos, end = 0, len(value.rstrip(b" \t"))
    while pos < end:
        found = member.match(value, pos)
        if found is None:
            return None
        url = _ESCAPED.sub(rb"\1", found.group(member.groups - 1))
        if not refused(url):
            kept.append(value[found.start() : found.end()].strip(b" \t,"))
        pos = found.end()
    return b", ".join(kept) if kept else None


def _policy(value: bytes, refused: Refused) -> bytes | None:
    """A CSP without the refused URLs of its ``report-uri`` directives (a directive left empty goes,
    with the ``;`` before it); everything else as written."""
    if value.lower().find(_REPORT_URI) < 0:
        return value
    pieces = _DIRECTIVES.split(value)  # directive, separator, directive, ...
    changed = False
    for i in range(0, len(pieces), 2):
        words = pieces[i].split()
        if not words or words[0].lower() != _REPORT_URI:
            continue
        urls = [url for url in words[1:] if not refused(url)]
        if len(urls) == len(words) - 1:
            continue
        changed = True
        lead = pieces[i][: len(pieces[i]) - len(pieces[i].lstrip())]
        pieces[i] = lead + b" ".join([words[0], *urls]) if urls else b""
    if not changed:
        return value
    out, separator = b"", b""
    for i in range(0, len(pieces), 2):
        if i > 0 and (separator != b"," or pieces[i - 1] == b","):
            separator = pieces[i - 1]  # (a ',' between policies outlives a directive dropped)
        if pieces[i] == b"":  # an emptied report-uri: its ';' goes with it
            continue
        out += (separator if out else b"") + pieces[i]
        separator = b""
    out = out.lstrip(b";").strip()
    return out or None


def _report_to(value: bytes, refused: Refused) -> bytes | None:
    """``Report-To``: JSON groups (comma-separated objects), without refused endpoints."""
    try:
        groups = json.loads(b"[" + value + b"]")
    except ValueError:
        return None
    if not isinstance(groups, list):
        return None
    kept = []
    for group in groups:
        if not isinstance(group, dict) or not isinstance(group.get("endpoints"), list):
            return None
        endpoints = [
            e
            for e in group["endpoints"]
            if not (isinstance(e, dict) and refused(str(e.get("url", "")).encode()))
        ]
        if endpoints:
            kept.append({**group, "endpoints": endpoints})
    return b", ".join(json.dumps(group, separators=(",", ":")).encode() for group in kept) or None
