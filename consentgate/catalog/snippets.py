"""Vendors' install snippets as patterns: how the catalog recognises an inline script.

A snippet is written as the vendor publishes it; :func:`compile_snippets` makes it forgive quoting
and whitespace (minified and pretty-printed copies look alike) and pairs each service's pattern
with literals that any match must contain, so the catalog runs a regex only where a cheap
substring search has already found one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .service import Service

__all__ = ["InlineRule", "SnippetPatterns", "compile_snippets", "snippet_patterns"]

#: A service's snippets: literals one of which every match contains, and the pattern itself.
InlineRule = tuple[tuple[str, ...], re.Pattern[str], Service]


def compile_snippets(services: Iterable[Service]) -> list[InlineRule]:
    """One rule per service that has snippets, in the services' order."""
    rules: list[InlineRule] = []
    for service in services:
        if service.snippets:
            # Longer snippets first so a specific one wins over its own prefix.
            alts = sorted(service.snippets, key=len, reverse=True)
            pattern = re.compile("|".join(_snippet_pattern(s) for s in alts))
            rules.append((tuple(_literal(s) for s in alts), pattern, service))
    return rules


#: Each service's snippets one by one (by the rule's index): a literal every match contains, and
#: the snippet's own pattern (it starts with a literal more often than the service's alternation).
SnippetPatterns = list[tuple[str, int, re.Pattern[str]]]


def snippet_patterns(rules: list[InlineRule]) -> SnippetPatterns:
    """The snippets of ``rules`` one by one, as ``(literal, rule index, pattern)``."""
    out: SnippetPatterns = []
    for index, (_literals, _pattern, service) in enumerate(rules):
        for snippet in sorted(service.snippets, key=len, reverse=True):
            out.append((_literal(snippet), index, re.compile(_snippet_pattern(snippet))))
    return out


def _snippet_pattern(snippet: str) -> str:
    """A snippet as a regex: either quote matches either quote, and a space, or the place after
    ``(`` and ``,``, matches any whitespace (minified or pretty-printed snippets look alike)."""
    out: list[str] = []
    for char in snippet:
        if char in "'\"":
            out.append("[\"']")
        elif char == " ":
            out.append(r"\s*")
        elif char in "(,":
            out.append(re.escape(char) + r"\s*")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _literal(snippet: str) -> str:
    """The longest part of ``snippet`` that any text matching its pattern contains verbatim."""
    parts: list[str] = []
    current = ""
    for char in snippet:
        if char in "'\" ":  # either quote, or any whitespace, may stand there
            parts.append(current)
            current = ""
        elif char in "(,":  # followed by optional whitespace
            parts.append(current + char)
            current = ""
        else:
            current += char
    parts.append(current)
    return max(parts, key=len)
