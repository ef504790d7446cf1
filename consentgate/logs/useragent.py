"""User-agent summaries: browser family and major version, OS family, device type, bot flag.

The full user-agent string is never stored; only this summary is. Parsing costs about half a
millisecond, so results are cached per distinct string (a site sees few distinct ones).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from user_agents import parse as _parse

__all__ = ["UASummary", "summarize"]


@dataclass(frozen=True, slots=True)
class UASummary:
    browser: str
    browser_major: str
    os: str
    device: str  # "mobile", "tablet", "pc", "bot", "other"
    bot: bool


@functools.lru_cache(maxsize=4096)
def summarize(user_agent: str) -> UASummary:
    """The summary of ``user_agent`` (cached)."""
    if not user_agent:
        return UASummary("Other", "", "Other", "other", False)
    ua = _parse(user_agent[:512])
    version = ua.browser.version
    major = str(version[0]) if version else ""
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
    return UASummary(ua.browser.family or "Other", major, ua.os.family or "Other", device, bool(ua.is_bot))
