"""The PostgreSQL backend (``postgresql://user@host/db`` in the config); needs the asyncpg driver."""

from __future__ import annotations

from .dialect import APPEND_SQL
from .store import PostgresStore
from .writer import append_args

__all__ = ["APPEND_SQL", "PostgresStore", "append_args"]
