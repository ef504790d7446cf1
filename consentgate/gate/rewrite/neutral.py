"""How the rewriter writes an end tag it neutralises (see :mod:`.tree`), and how it ends a
script-data reading that its neutralising leaves double escaped."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["BACK_TO_DATA", "DOUBLE_ESCAPED", "neutral_pattern"]

#: Kept in the rewriter's set of names being neutralised while the script-data reading of a
#: ``<script>`` read as markup will be double escaped at the first ``</script`` end tag the markup
#: reading sees (:func:`~.markup_text.double_escaped`): that end tag would only leave double
#: escaping, and the script would run on. Upper case, as no name read from the page is; the
#: pattern ignores case, so in it this mark neutralises what ``script`` does.
DOUBLE_ESCAPED: Final = b"SCRIPT"
#: Goes before that end tag: an empty comment in the markup reading (no text of the element), and
#: in script data, from any sub-state, back to the plain one ('<!--' then '-->'), where
#: ``</script`` ends the script.
BACK_TO_DATA: Final = b"<!---->"


def neutral_pattern(names: frozenset[bytes]) -> re.Pattern[bytes]:
    """Where ``</name`` of one of ``names`` starts: only an end tag that ends raw text, whose name
    ends there ('</scripts', '</script<img' are other names, whose rest a markup reading takes
    for the tag's own)."""
    return re.compile(rb"<(?=/(?:" + b"|".join(sorted(names)) + rb")[\t\n\f\r />])", re.IGNORECASE)
