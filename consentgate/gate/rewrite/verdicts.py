"""What a tag becomes: its inert form, None to leave it, or "its text decides" for an inline script.

The decisions only; where the tags are, and what is held back, is the state machine's business
(:mod:`.rewriter`). A verdict depends on the tag's bytes, the plan and the blocked categories
only, which is why the rewriter can cache it by those.
"""

from __future__ import annotations

from typing import Final

from .attributes import (
    Attr,
    attributes,
    decoded,
    decodings,
    explicit_category,
    first_value,
    runs_script,
    with_references_decoded,
)
from .loaders import code_renames
from .plan import RewritePlan
from .vocabulary import FETCHING_DATA_TYPES, SCRIPT_RENAMES

__all__ = ["INLINE", "inline_verdict", "script_verdict"]

#: The verdict on an inline script's tag: its text decides (see :func:`inline_verdict`).
INLINE: Final[object] = object()


def script_verdict(
    plan: RewritePlan,
    blocked: frozenset[str],
    data: bytes,
    c: int,
    name_end: int,
    tag_end: int,
    attrs: list[Attr],
    base: str | None = None,
) -> object:
    """The inert form of a script tag, None to leave it, or INLINE when its text decides
    (speculation rules and import maps are not run, but the URLs in their JSON are fetched)."""
    code, by_code = code_renames(plan, blocked, data, attrs, base)
    explicit = explicit_category(data, attrs)
    # A handler or style naming a refused URL (a script that does not run applies its style
    # whatever category it carries: only 'necessary' keeps it).
    if code and (explicit is None or (explicit != "necessary" and not runs_script(data, attrs))):
        assert by_code is not None
        renames = SCRIPT_RENAMES | code
        return plan.inert.tag(data, c, name_end, tag_end, attrs, renames, by_code.category, by_code)
    if not runs_script(data, attrs):
        kind = first_value(data, attrs, b"type")
        if kind is None or decoded(kind).strip(" \t\n\f\r").lower() not in FETCHING_DATA_TYPES:
            return None
        return INLINE if explicit_category(data, attrs) != "necessary" else None
    category = explicit_category(data, attrs)
    if category == "necessary":
        return None
    src = first_value(data, attrs, b"src")
    if category is None and src is None:
        return INLINE
    if src is None:
        service = None
    elif base is None:
        service = plan.match_url(src)
    else:
        service = next(
            filter(None, (plan.match_text_url(url, base) for url in decodings(src, plan.reading))), None
        )
    if category is None and service is not None:
        category = service.category
    if category is not None and plan.refuses(category, blocked):
        # (with the handlers and styles naming a refused URL: inert means all of it)
        return plan.inert.tag(data, c, name_end, tag_end, attrs, SCRIPT_RENAMES | code, category, service)
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
    renames: frozenset[bytes] = SCRIPT_RENAMES,
) -> bytes | None:
    """The inert form of the inline script whose tag is ``data[c:tag_end]`` and whose inspected
    text ends at ``text_end``, or None to leave it (``renames``: the attributes its inert form
    renames)."""
    attrs = attributes(low, name_end, tag_end - 1)
    text = with_references_decoded(data[tag_end:text_end], plan.reading)
    service = plan.match_inline(text) if runs_script(data, attrs) else None
    if service is None or not plan.refuses(service.category, blocked):
        # A script (or speculation rules, an import map) that names a refused host's URL.
        service = plan.match_inline_urls(text, blocked)
        if service is None:
            return None
    return plan.inert.tag(data, c, name_end, tag_end, attrs, renames, service.category, service)
