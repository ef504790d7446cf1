"""Connections to PostgreSQL: the pool's reset, a one-off connection, and URLs safe to print."""

from __future__ import annotations

import asyncpg

from ...errors import StoreError

__all__ = ["OneOff", "keep_session", "safe_url"]


async def keep_session(conn: asyncpg.Connection) -> None:
    """The pool's ``reset`` (asyncpg 0.30+): nothing to undo on the server when a connection is released.

    The store leaves no session state behind (no SET, LISTEN, session advisory lock or cursor outside
    a transaction; asyncpg still rolls back an open transaction itself). The default reset sends four
    statements on every release: a round trip per query, about a tenth of a status lookup's cost.
    """


class OneOff:
    """``async with OneOff(url) as conn``: a connection of its own, closed afterwards."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        try:
            self._conn = await asyncpg.connect(self._url)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {safe_url(self._url)}: {exc}.") from None
        return self._conn

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            await self._conn.close()


def safe_url(url: str) -> str:
    """The URL without its password, for error messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
