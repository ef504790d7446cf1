"""Argument types shared by the CLI commands."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

__all__ = ["parse_time"]


def parse_time(text: str) -> float:
    """A time given as epoch seconds or ISO 8601 (naive times are UTC), as epoch seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; use ISO 8601 (2026-01-31 or 2026-01-31T12:00:00Z) or epoch seconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
