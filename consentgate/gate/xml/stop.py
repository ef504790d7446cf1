"""Why an XML rewrite stopped before the end of the document."""

from __future__ import annotations

__all__ = ["Stop"]


class Stop(Exception):
    """The rewrite stopped: ``reason`` says why; ``refused`` when the whole document should be
    refused (a 502) if nothing of it went out yet, else it was malformed (its output ends there)."""

    def __init__(self, reason: str, *, refused: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused
