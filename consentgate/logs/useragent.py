"""User-agent summaries: browser family and major version, OS family, device type, bot flag.

The full user-agent string is never stored; only this summary is. The parser (``ua-parser``) takes
some families from the user-agent text itself (a capture group), so a family is kept only when it
is one the parser's rules can name on their own (a literal replacement, or a group that can only
match a few fixed words): anything else reads ``Other``, so no fragment of a visitor's string
(``alice_secret_example_com-bot``) reaches a log line or a ledger row. Bots read ``bot``. Parsing
costs about half a millisecond, so results are cached per distinct string (a site sees few).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ua_parser import user_agent_parser as _rules
from user_agents import parse as _parse

__all__ = ["BOT", "OTHER", "UASummary", "known_browsers", "known_systems", "summarize"]

OTHER = "Other"
BOT = "bot"
#: A capture group that could match more fixed words than this is not a list of names.
_MAX_WORDS = 64

# The standard library's own regex parser (private, hence imported by name): it tells what a
# capture group of the parser's rules can match.
_sre: Any = importlib.import_module("re._constants")
_sre_parse: Any = importlib.import_module("re._parser")


@dataclass(frozen=True, slots=True)
class UASummary:
    browser: str
    browser_major: str
    os: str
    device: str  # "mobile", "tablet", "pc", "bot", "other"
    bot: bool


@functools.lru_cache(maxsize=4096)
def summarize(user_agent: str) -> UASummary:
    """The summary of ``user_agent`` (cached); families only from :func:`known_browsers` and
    :func:`known_systems`, else ``Other``; a bot's browser family is ``bot``."""
    if not user_agent:
        return UASummary(OTHER, "", OTHER, "other", False)
    ua = _parse(user_agent[:512])
    version = ua.browser.version
    major = str(version[0]) if version else ""
    if not major.isdigit() or len(major) > 6:
        major = ""
    if ua.is_bot:
        device = "bot"
    elif ua.is_mobile:
        device = "mobile"
    elif ua.is_tablet:
        device = "tablet"
    elif ua.is_pc:
        device = "pc"
    else:
        device = "other"
    system = ua.os.family if ua.os.family in known_systems() else OTHER
    if ua.is_bot:
        return UASummary(BOT, "", system, device, True)
    browser = ua.browser.family if ua.browser.family in known_browsers() else OTHER
    return UASummary(browser, major if browser != OTHER else "", system, device, False)


@functools.cache
def known_browsers() -> frozenset[str]:
    """Every browser family the parser's rules can name without copying the user-agent text."""
    return _families((r.user_agent_re, r.family_replacement) for r in _rules.USER_AGENT_PARSERS)


@functools.cache
def known_systems() -> frozenset[str]:
    """Every OS family the parser's rules can name without copying the user-agent text."""
    return _families((r.user_agent_re, r.os_replacement) for r in _rules.OS_PARSERS)


def _families(rules: Iterable[tuple[re.Pattern[str], str | None]]) -> frozenset[str]:
    names = {OTHER}
    for pattern, replacement in rules:
        if replacement and "$" not in replacement:
            names.add(replacement)
            continue
        words = _group_words(pattern)
        if words is None:
            continue
        if not replacement:
            names.update(words)
        elif replacement.count("$") == 1 and "$1" in replacement:
            names.update(replacement.replace("$1", word) for word in words)
    names.discard("")
    return frozenset(names)


def _group_words(pattern: re.Pattern[str]) -> set[str] | None:
    """The fixed words the first capture group of ``pattern`` can match, or None when it is not a
    short list of fixed words (a case-insensitive pattern is not: its words could come in any case)."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    except re.error:  # pragma: no cover - the parser compiled it
        return None
    group = _first_group(list(parsed))
    return None if group is None else _words(group)


def _first_group(items: list[Any]) -> list[Any] | None:
    for op, arg in items:
        if op is _sre.SUBPATTERN:
            if arg[0] == 1:
                return list(arg[3])
            found = _first_group(list(arg[3]))
            if found is not None:
                return found
        elif op is _sre.BRANCH:
            return None  # the group's number depends on the branch taken: not worth following
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            found = _first_group(list(arg[2]))
            if found is not None:
                return found
    return None


def _words(items: list[Any]) -> set[str] | None:
    words = {""}
    for op, arg in items:
        if op is _sre.AT:
            continue  # a word boundary or an anchor matches no text
        if op is _sre.LITERAL:
            options = {chr(arg)}
        elif op is _sre.IN and all(kind is _sre.LITERAL for kind, _ in arg) and len(arg) <= 4:
            options = {chr(value) for _, value in arg}
        elif op is _sre.BRANCH:
            options = set()
            for branch in arg[1]:
                found = _words(list(branch))
                if found is None:
                    return None
                options |= found
        elif op is _sre.SUBPATTERN:
            found = _words(list(arg[3]))
            if found is None:
                return None
            options = found
        elif op is _sre.MAX_REPEAT and arg[0] == 0 and arg[1] == 1:
            found = _words(list(arg[2]))
            if found is None:
                return None
            options = found | {""}
        else:
            return None
        words = {w + o for w in words for o in options}
        if len(words) > _MAX_WORDS:
            return None
    return words
