"""Consent stores: the :class:`Store` interface and :func:`open_store` to pick a backend by URL."""

from __future__ import annotations

from ..errors import ConfigError
from .base import ChainRow, Store
from .sqlite import SQLiteStore

__all__ = ["ChainRow", "SQLiteStore", "Store", "open_store"]

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
