"""What a tag becomes: its inert form, None to leave it, or "its text decides" for an inline script.

The decisions only; where the tags are, and what is held back, is the state machine's business
(:mod:`.rewriter`). A verdict depends on the tag's bytes, the plan and the blocked categories
only, which is why the rewriter can cache it by those.
"""

from __future__ import annotations

import re
from typing import Final

from .attributes import Attr, attributes, explicit_category, first_value, runs_script, value_of
from .catalog_protocol import ServiceLike
from .plan import RewritePlan
from .vocabulary import LOADING, PRELOAD_RELS, SCRIPT_RENAMES

__all__ = ["INLINE", "inline_verdict", "loader_verdict", "script_verdict"]

#: The verdict on an inline script's tag: its text decides (see :func:`inline_verdict`).
INLINE: Final[object] = object()
_SRCSET_URL = re.compile(rb"(?:^|,)[\t\n\f\r ]*+([^\t\n\f\r ,][^\t\n\f\r ]*+)")


def loader_verdict(
    plan: RewritePlan,
    blocked: frozenset[str],
    data: bytes,
    low: bytes,
    c: int,
    name_end: int,
    tag_end: int,
    name: bytes,
) -> bytes | None:
    """The inert form of an img/source/iframe/embed/object/link tag, or None to leave it."""
    attrs = attributes(low, name_end, tag_end - 1)
    category = explicit_category(data, attrs)
    if category == "necessary":
        return None
    loading = LOADING[name]
    present = [a for a in attrs if a[0] in loading]
    if not present:
        return None
    if name == b"link" and category is None:
        rel = first_value(data, attrs, b"rel")
        if rel is None or PRELOAD_RELS.isdisjoint(rel.decode("latin-1").lower().split()):
            return None
    first: ServiceLike | None = None  # the first service named (for data-cg-service)
    refused: ServiceLike | None = None  # the first one of a blocked category
    for attr in present:
        value = value_of(data, attr)
        urls = [u.rstrip(b",") for u in _SRCSET_URL.findall(value)] if attr[0] == b"srcset" else [value]
        for url in urls:
            found = plan.match_url(url)
            if found is not None:
                first = first or found
                if plan.refuses(found.category, blocked):
                    refused = found
                    break
        if refused is not None:
            break
    if category is None:
        if refused is None:
            return None
        category = refused.category
    elif not plan.refuses(category, blocked):
        return None
    renames = frozenset(a[0] for a in present)
    return plan.inert.tag(data, c, name_end, tag_end, attrs, renames, category, refused or first)


def script_verdict(
    plan: RewritePlan,
    blocked: frozenset[str],
    data: bytes,
    c: int,
    name_end: int,
    tag_end: int,
    attrs: list[Attr],
) -> object:
    """The inert form of a script tag, None to leave it, or INLINE when its text decides."""
    if not runs_script(data, attrs):
        return None
    category = explicit_category(data, attrs)
    if category == "necessary":
        return None
    src = first_value(data, attrs, b"src")
    if category is None and src is None:
        return INLINE
    service = plan.match_url(src) if src is not None else None
    if category is None and service is not None:
        category = service.category
    if category is not None and plan.refuses(category, blocked):
        return plan.inert.tag(data, c, name_end, tag_end, attrs, SCRIPT_RENAMES, category, service)
    return None


def inline_verdict(
    plan: RewritePlan,
    blocked: frozenset[str],
    data: bytes,
    low: bytes,
    c: int,
    name_end: int,
    tag_end: int,
    text_end: int,
) -> bytes | None:
    """The inert form of the inline script whose tag is ``data[c:tag_end]`` and whose inspected
    text ends at ``text_end``, or None to leave it."""
    service = plan.match_inline(data[tag_end:text_end])
    if service is None or not plan.refuses(service.category, blocked):
        return None
    attrs = attributes(low, name_end, tag_end - 1)
    return plan.inert.tag(data, c, name_end, tag_end, attrs, SCRIPT_RENAMES, service.category, service)
