"""Which PostgreSQL driver for the append path: asyncpg or psycopg 3 (async, with a pool)?

Runs the exact append statement of ``consentgate.store.postgres`` (one round trip: chain-head upsert
plus record insert, autocommit so every append is its own durable commit) from N concurrent tasks
over a pool of connections, for each driver, in a fresh schema. Prints appends per second.

    .venv/bin/python bench/bench_pg_drivers.py [--n 6000] [--concurrency 64] [--pool 10]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable

import psycopg
from psycopg_pool import AsyncConnectionPool

from consentgate.store.postgres import APPEND_SQL, append_args
from consentgate.store.schema import MIGRATIONS
from tests.support.stores import make_record

URL = "postgresql://postgres@127.0.0.1:5432/test"


def _psycopg_sql(sql: str) -> str:
    """``$1`` placeholders (asyncpg) as named ``%(a1)s`` ones (psycopg): some appear twice."""
    for i in range(12, 0, -1):
        sql = sql.replace(f"${i}", f"%(a{i})s")
    return sql


def _psycopg_args(args: tuple[object, ...]) -> dict[str, object]:
    return {f"a{i}": value for i, value in enumerate(args, start=1)}


async def _run(n: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> tuple[float, float]:
    """Appends per second, and client CPU microseconds per append (what the app server pays)."""
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await one(i)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - start), (time.process_time() - cpu) / n * 1e6


def _records(n: int) -> list[tuple[object, ...]]:
    ids = [uuid.uuid4().hex for _ in range(n // 2)]
    return [append_args(make_record(ids[i % len(ids)], when=float(i)), None) for i in range(n)]


async def bench_asyncpg(schema: str, n: int, concurrency: int, pool_size: int) -> tuple[float, float]:
    import asyncpg

    pool = await asyncpg.create_pool(
        URL, min_size=pool_size, max_size=pool_size, server_settings={"search_path": schema}
    )
    rows = _records(n)

    async def one(i: int) -> None:
        async with pool.acquire() as conn:
            await conn.fetchrow(APPEND_SQL, *rows[i])

    try:
        return await _run(n, concurrency, one)
    finally:
        await pool.close()


async def bench_psycopg(schema: str, n: int, concurrency: int, pool_size: int) -> tuple[float, float]:
    pool = AsyncConnectionPool(
        URL,
        min_size=pool_size,
        max_size=pool_size,
        kwargs={"autocommit": True, "options": f"-c search_path={schema}"},
        open=False,
    )
    await pool.open()
    rows = [_psycopg_args(row) for row in _records(n)]
    sql = _psycopg_sql(APPEND_SQL)

    async def one(i: int) -> None:
        async with pool.connection() as conn:
            cursor = await conn.execute(sql, rows[i], prepare=True)
            await cursor.fetchone()

    try:
        return await _run(n, concurrency, one)
    finally:
        await pool.close()


def _fresh_schema() -> str:
    name = "cgbench_" + secrets.token_hex(4)
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
        conn.execute(f"SET search_path = {name}")
        for migration in MIGRATIONS:
            for statement in migration.postgres:
                conn.execute(statement)
    return name


def _drop(schema: str) -> None:
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for round_ in range(args.rounds):
        for name, bench in (("asyncpg", bench_asyncpg), ("psycopg", bench_psycopg)):
            schema = _fresh_schema()
            try:
                rate, cpu = asyncio.run(bench(schema, args.n, args.concurrency, args.pool))
            finally:
                _drop(schema)
            print(f"round {round_ + 1} {name:8s} {rate:8.0f} appends/s {cpu:6.0f} us client CPU/append")


if __name__ == "__main__":
    main()
