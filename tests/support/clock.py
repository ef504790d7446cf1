"""A ``time.time`` moved by hand, for tests of what expires (cookies, their cache)."""

from __future__ import annotations

import time

import pytest

__all__ = ["ManualClock", "manual_clock"]


class ManualClock:
    """``time.time`` for the codec and itsdangerous, moved by hand (set ``now``)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def manual_clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    """Put a :class:`ManualClock` at the current time in place of ``time.time``."""
    clock = ManualClock(time.time())
    monkeypatch.setattr(time, "time", clock)
    return clock
