"""Whether an ``<svg>``, ``<math>`` or ``<select>`` can be passed whole by the exact mode: nothing
in it up to its end tag could change a reading (no tag that switches the tokenizer, enters or
leaves foreign content or the select, no comment, no CDATA)."""

from __future__ import annotations

import re
from typing import Final

from .tokenizer import tag_close
from .vocabulary import BREAKOUT

__all__ = ["QUIET", "quiet_region"]

#: What may not appear inside an ``<svg>``/``<math>`` (or a ``<select>``) passed whole: tags that
#: switch the tokenizer or may leave (or enter) foreign content or select, comments, CDATA.
_RISKY = rb"script|style|textarea|xmp|iframe|noembed|noframes|noscript|plaintext|template|title|svg|math"
QUIET: Final = {
    b"svg": re.compile(
        rb"<(?:!|\?|/?(?:"
        + _RISKY
        + rb"|foreignobject|desc|annotation-xml|mi|mo|mn|ms|mtext|font|br|p|"
        + b"|".join(sorted(BREAKOUT))
        + rb")[\t\n\f\r />])"
    ),
    b"select": re.compile(rb"<(?:!|\?|/?(?:" + _RISKY + rb"|select|input|keygen)[\t\n\f\r />])"),
}
QUIET[b"math"] = QUIET[b"svg"]


def quiet_region(
    low: bytes, name: bytes, start: int, n: int, skip: re.Pattern[bytes], cap: int
) -> tuple[int, int] | None:
    """Where the ``</name>`` that closes the element whose start tag ends at ``start`` begins and
    ends, when everything up to it is plain markup (see the module's text; ``skip``: the
    rewriter's data-state reader) and that end tag is no longer than ``cap`` (one over it closes
    nothing); else None (read it construct by construct)."""
    end_tag = b"</" + name
    q = low.find(end_tag, start, n)
    if q < 0 or QUIET[name].search(low, start, q) is not None:
        return None
    close = q + len(end_tag)
    if close >= n or low[close] not in b"\t\n\f\r />":
        return None
    end = tag_close(low, q, close, n)
    if end < 0 or end - q > cap or skip.match(low, start, q).end() != q:  # type: ignore[union-attr]
        return None
    return q, end
