"""The store interface: the union of the ledger, the API, the roll-ups and the dashboard, plus the life cycle.

Every backend (SQLite, PostgreSQL) implements it and passes one contract suite. Each method a backend
must provide is abstract, so a backend that lacks one fails when it is made, not when it is called.
"""

from __future__ import annotations

import abc

from .analytics_base import AnalyticsStore
from .api_base import ApiStore
from .ledger_base import ChainRow, LedgerStore
from .rollup_base import RollupStore

__all__ = ["ChainRow", "Store"]


class Store(LedgerStore, ApiStore, RollupStore, AnalyticsStore, abc.ABC):
    """Durable storage of consent records and everything else the gate keeps."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create or migrate the schema (idempotent)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Flush and release every resource."""

    @abc.abstractmethod
    async def schema_version(self) -> int:
        """The version of the schema in the database (0 when there is none)."""

    @abc.abstractmethod
    async def migrate(self) -> list[int]:
        """Apply every pending migration in order; returns the versions applied (never destructive)."""
