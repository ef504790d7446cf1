"""Consent stores: the :class:`Store` interface and :func:`open_store` to pick a backend by URL.

The interface is split by concern (``ledger_base.py``, ``api_base.py``, ``rollup_base.py``) and
:class:`Store` is their union (``base.py``). The SQL both backends share is written once
(``queries.py``, ``codec.py``, ``sql_store.py``); each backend (``sqlite/``, ``postgres/``) keeps its
own dialect and its own way of writing appends. :class:`PostgresStore` is imported on first use, so
the PostgreSQL driver stays optional.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .analytics_base import AnalyticsStore
from .api_base import ApiStore, Position
from .base import ChainRow, Store
from .ledger_base import LedgerStore
from .rollup_base import RollupStore
from .sqlite import SQLiteStore

if TYPE_CHECKING:
    from .postgres import PostgresStore

__all__ = [
    "AnalyticsStore",
    "ApiStore",
    "ChainRow",
    "LedgerStore",
    "Position",
    "PostgresStore",
    "RollupStore",
    "SQLiteStore",
    "Store",
    "open_store",
]

_SQLITE_PREFIX = "sqlite:///"


def open_store(url: str, *, migrate: bool = True) -> Store:
    """The store a database URL names (not opened yet: ``await store.open()``).

    ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or ``postgresql://user@host/db``.
    ``migrate`` creates or upgrades the schema on open (config key ``migrate_on_start``).
    """
    if url.startswith(_SQLITE_PREFIX) and len(url) > len(_SQLITE_PREFIX):
        return SQLiteStore(url[len(_SQLITE_PREFIX) :], migrate=migrate)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from .postgres import PostgresStore
        except ImportError:
            raise ConfigError(
                f"'database' is {url!r} but the PostgreSQL driver is not installed; "
                "run: pip install 'consentgate[postgres]'."
            ) from None
        return PostgresStore(url, migrate=migrate)
    raise ConfigError(
        f"'database' is {url!r}; use 'sqlite:///path/to/file.db' or 'postgresql://user@host:5432/dbname'."
    )


def __getattr__(name: str) -> Any:
    """``PostgresStore``, imported when first asked for (it needs the optional asyncpg driver)."""
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
