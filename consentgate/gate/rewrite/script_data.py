"""Script data: where an inline script's text ends, through the HTML standard's sub-states.

Split from :mod:`.tokenizer` (which re-exports :func:`script_end`): script data is the one place
where a ``<!--`` changes what ends the element, and its regexes are its own.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["DELIM", "RAW_TAIL", "script_end"]

#: What may follow a tag name.
DELIM = rb"(?=[\t\n\f\r />])"
#: The longest end token a raw-text or script search looks for, less one: what is held back
#: between chunks.
RAW_TAIL: Final = 10

#: The end of script data, per sub-state (data, escaped, double escaped), as in the HTML standard.
#: Group 1: an end tag that ends the element (or leaves double escaping); group 2: ``<script``
#: (escaped) or ``</noscript`` (double escaped, inside ``<noscript>``). The data-state patterns
#: start with a literal ``<`` so that the engine can skip through a long script quickly.
_SCRIPT_STATES = (
    re.compile(rb"<(?:(/script)" + DELIM + rb"|!--)"),
    re.compile(rb"<(?:(/script)" + DELIM + rb"|(script)" + DELIM + rb")|-->"),
    re.compile(rb"<(/script)" + DELIM + rb"|-->"),
)
_ESCAPED = rb"(?:[^<-]++|<(?!/?script" + DELIM + rb")|-(?!->))*+"  # up to its next transition
_DOUBLE = rb"(?:[^<-]++|<(?!/script" + DELIM + rb")|-(?!->))*+"
_CYCLE = (
    rb"<!(?=--)(?:" + _ESCAPED + rb"<script" + DELIM + _DOUBLE + rb"</script" + DELIM + rb")*+"
    + _ESCAPED + rb"(?:<script" + DELIM + _DOUBLE + rb")?+-->"
)  # fmt: skip
#: Whole escape cycles from a ``<!--`` in script data: escaped (and double escaped) text that
#: comes back to the data sub-state without ending the script, each complete in the buffer (a
#: script made of them costs one match, not four searches a cycle).
_ESCAPES = re.compile(_CYCLE + rb"(?:(?:[^<]++|<(?=[^/!]))*+" + _CYCLE + rb")*+")


def script_end(low: bytes, i: int, n: int, sub: int, neutral: bool = False) -> tuple[int, int, int]:
    """Find the end tag of script data from ``i`` in sub-state ``sub``.

    Returns ``(end, sub, resume)``: ``end`` is where ``</script`` (or, inside ``<noscript>``,
    ``</noscript``) starts, or -1; then ``sub`` is the state at ``resume``, from where the search
    must go on once more bytes arrive. ``neutral``: ``</script`` is being written with a backslash
    after its ``<`` where it does not end the script, so it leaves no double escaping either.
    """
    states = _SCRIPT_STATES
    while True:
        m = states[sub].search(low, i, n)
        if m is None:
            return -1, sub, max(i, n - RAW_TAIL)
        if m.group(1) is not None:  # </script (ends it, but only toggles double escaping)
            if sub != 2:
                return m.start(), sub, m.start()
            sub, i = (2 if neutral else 1), m.end()
        elif sub == 0:  # <!--
            cycles = None if neutral else _ESCAPES.match(low, m.start(), n)
            if cycles is not None:
                i = cycles.end()
                continue
            sub, i = 1, m.start() + 2
        elif sub == 1 and m.group(2) is not None:  # <script
            sub, i = 2, m.end()
        elif sub == 2 and m.lastindex == 2:  # </noscript inside double escaping
            return m.start(), sub, m.start()
        else:  # -->
            sub, i = 0, m.end()
