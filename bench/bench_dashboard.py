"""The dashboard's consent aggregates on a big ledger: SQLite and PostgreSQL, 1,000,000 records.

Seeds ``--rows`` ledger records (default 1,000,000) over 90 days up to now straight into a fresh
database of each backend (bulk insert of the rows an append writes: the fact columns the dashboard
groups by; chain hashes are placeholders, nothing here verifies them), then times
``Store.consent_counts``, the one store call behind the consent page, CSV and JSON:

- ``cold``: the first call over the 90 days, which also sums every complete day into ``consent_daily``
  (once in the life of a database, a week of days per grouped pass over their records);
- ``warm``: the same call again (the summary read plus today's records counted), all regions and one
  region, and the last 7 days;
- ``report``: the warm call plus building the page's figures (``admin/analytics.build_report``).

Target: every warm figure under 500 ms on each backend.

    .venv/bin/python bench/bench_dashboard.py [--rows 1000000] [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _harness import fresh_database

from consentgate.admin.analytics import build_report
from consentgate.store import Store, open_store

DAYS = 90
ACTIONS = ["accept_all"] * 5 + ["reject_all"] * 3 + ["save_choices"] * 2 + ["withdraw", "gpc_opt_out"]
REGIONS = ["DE", "FR", "GB", "US-CA", "US"]
CHOSEN = [
    ",necessary,analytics,advertising,social,",
    ",necessary,",
    ",necessary,analytics,",
    ",necessary,analytics,social,",
]
COLUMNS = (
    "record_id, consent_id, time, keep_until, content_hash, prev_hash, hash, data,"
    " action, region, gpc, shown_hash, config_revision, chosen, effective, variant"
)


def _rows(count: int, now: float, seed: int = 1, shuffled: bool = False) -> list[tuple[object, ...]]:
    rng = random.Random(seed)
    start = now - DAYS * 86400
    rows: list[tuple[object, ...]] = []
    for i in range(count):
        revision = 1 if rng.random() < 0.5 else 2
        chosen = rng.choice(CHOSEN)
        rows.append(
            (
                f"r{i:09d}",
                f"c{i:09d}",
                start + rng.random() * (now - start),
                now + 86400 * 365,
                "0" * 64,
                "",
                "0" * 64,
                "{}",
                rng.choice(ACTIONS),
                rng.choice(REGIONS),
                int(rng.random() < 0.1),
                ("a" if revision == 1 else "b") * 64,
                revision,
                chosen,
                chosen,
                rng.choice(["", "short", "friendly"]),
            )
        )
    if not shuffled:
        # In the order a ledger has them: appends stamp the server's clock, so a day's records sit
        # together in the table. Shuffled, each day's records are spread over the whole table (a
        # worst case no ledger reaches: every day read touches every page).
        rows.sort(key=lambda row: float(row[2]))  # type: ignore[arg-type]
    return rows


def _seed_sqlite(path: str, rows: list[tuple[object, ...]]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    marks = ", ".join("?" * 16)
    conn.executemany(f"INSERT INTO records ({COLUMNS}) VALUES ({marks})", rows)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def _seed_postgres(url: str, rows: list[tuple[object, ...]]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor().copy(f"COPY records ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("VACUUM ANALYZE records")


async def _time(call: Callable[[], Awaitable[object]], repeat: int) -> tuple[float, float, list[float]]:
    """Median wall-clock ms, median CPU ms of this process (every thread: SQLite's reads run here, so
    on a machine other work keeps busy this is the steadier figure), and every wall-clock time."""
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        await call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return statistics.median(times), statistics.median(cpu), times


async def _bench(backend: str, count: int, shuffled: bool) -> list[tuple[str, str, float, float, str]]:
    now = time.time()
    today = int(now // 86400)
    rows = _rows(count, now, shuffled=shuffled)
    results: list[tuple[str, str, float, float, str]] = []
    with fresh_database(backend, "dashboard") as url:
        store: Store = open_store(url)
        await store.open()  # the schema, migrated to the latest version
        await store.close()
        started = time.perf_counter()
        if backend == "sqlite":
            await asyncio.to_thread(_seed_sqlite, url.removeprefix("sqlite:///"), rows)
        else:
            await asyncio.to_thread(_seed_postgres, url, rows)
        seeded = time.perf_counter() - started
        print(f"{backend}: seeded {count:,} records in {seeded:.1f} s", file=sys.stderr)
        store = open_store(url)
        await store.open()
        try:
            first = today - DAYS

            async def all_regions() -> object:
                return await store.consent_counts(first_day=first, last_day=today, region=None, now=now)

            async def one_region() -> object:
                return await store.consent_counts(first_day=first, last_day=today, region="GB", now=now)

            async def last_week() -> object:
                return await store.consent_counts(first_day=today - 6, last_day=today, region=None, now=now)

            async def report() -> object:
                counts = await store.consent_counts(first_day=first, last_day=today, region=None, now=now)
                return build_report(
                    counts,
                    first_day=first,
                    last_day=today,
                    region=None,
                    categories=("necessary", "analytics", "advertising", "social"),
                )

            cold, cold_cpu, _ = await _time(all_regions, 1)
            results.append((backend, "cold: 91 days, sums 90 days once", cold, cold_cpu, ""))
            for name, call in (
                ("warm: 91 days, all regions", all_regions),
                ("warm: 91 days, region GB", one_region),
                ("warm: last 7 days", last_week),
                ("report: 91 days + page figures", report),
            ):
                median, cpu, times = await _time(call, 5)
                results.append((backend, name, median, cpu, " ".join(f"{t:.0f}" for t in times)))
            counts = await store.consent_counts(first_day=first, last_day=today, region=None, now=now)
            total = sum(row[6] for row in counts.breakdown)
            assert total == count, (total, count)
        finally:
            await store.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--shuffled", action="store_true", help="seed the records out of time order (worst case)"
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        results += asyncio.run(_bench(backend, args.rows, args.shuffled))
    print(f"consent_counts on {args.rows:,} ledger records (median of 5 warm runs, ms; target < 500)")
    print(f"{'backend':<10}{'query':<36}{'median ms':>10}{'cpu ms':>9}  runs (wall ms)")
    for backend, name, median, cpu, runs in results:
        print(f"{backend:<10}{name:<36}{median:>10.1f}{cpu:>9.1f}  {runs}")
    print("cpu ms: this process only (SQLite's work; for PostgreSQL the server's work is not in it)")
    slow = [r for r in results if not r[1].startswith("cold") and r[2] >= 500]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
