"""The embedded SQLite backend (``sqlite:///path`` in the config)."""

from __future__ import annotations

from .store import SQLiteStore

__all__ = ["SQLiteStore"]
