"""The roll-up half of the store: the hourly aggregates of the request log (``logs/rollup.py``)."""

from __future__ import annotations

import abc
from collections.abc import Sequence

__all__ = ["RollupStore"]


class RollupStore(abc.ABC):
    """Hourly request-log counts, added once per batch of raw lines."""

    @abc.abstractmethod
    async def add_log_rollup(
        self, batch_id: str, counts: Sequence[tuple[int, str, str, int]], *, lines: int, now: float
    ) -> bool:
        """Add ``(hour, dimension, key, count)`` rows to the hourly aggregates, once per ``batch_id``.

        In one transaction: the batch id is recorded and every count added to its row. A batch id
        seen before adds nothing and returns False (a roll-up retried after a crash).
        """

    @abc.abstractmethod
    async def log_rollups(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[tuple[int, str, str, int]]:
        """The ``(hour, dimension, key, count)`` rows whose hour starts in ``[since, until)``."""
