"""The PostgreSQL schema's version and its migrations (``store/schema.py``)."""

from __future__ import annotations

import time

import asyncpg

from ...errors import StoreError
from ..schema import MIGRATIONS, check_version
from .dialect import CREATE_SCHEMA_VERSION, LOCK_MIGRATIONS, MIGRATION_LOCK, SCHEMA_VERSION_EXISTS, STATEMENTS

__all__ = ["migrate", "version"]


async def version(conn: asyncpg.Connection) -> int:
    """The schema version of the database (0 when there is none)."""
    if not await conn.fetchval(SCHEMA_VERSION_EXISTS):
        return 0
    return int(await conn.fetchval(STATEMENTS.schema_version))


async def migrate(conn: asyncpg.Connection) -> list[int]:
    """Apply every pending migration, each in its own transaction; returns the versions applied."""
    applied: list[int] = []
    try:
        for migration in MIGRATIONS:
            async with conn.transaction():
                await conn.execute(LOCK_MIGRATIONS, MIGRATION_LOCK)
                await conn.execute(CREATE_SCHEMA_VERSION)
                if await version(conn) >= migration.version:
                    continue
                for statement in migration.postgres:
                    await conn.execute(statement)
                await conn.execute(
                    STATEMENTS.record_migration, migration.version, migration.description, time.time()
                )
            applied.append(migration.version)
        check_version(await version(conn))
    except asyncpg.PostgresError as exc:
        raise StoreError(f"cannot migrate PostgreSQL: {exc}.") from None
    return applied
