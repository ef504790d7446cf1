"""Consent choices per second, end to end: HTTP through uvicorn on loopback into the ledger.

Serves the gate (``tests/support/ledger_gate_app.py``: ConsentMiddleware around a trivial app) with one
uvicorn worker, on SQLite (a file in a temporary directory) and on the local PostgreSQL (a fresh
schema). wrk drives ``POST /consentgate/consent`` with a Lua script (a same-origin JSON choice from a
new visitor each time, so every request appends one durable record and sets the cookies). Each
round is checked afterwards: the ledger must hold at least as many records as wrk got answers, and
every chain must verify. Target: >= 1,500 choices/s on each backend.

    .venv/bin/python bench/bench_choices.py [--duration 8] [--rounds 2] [--connections 64] [--strict]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile

from _harness import (
    ROOT,
    BenchError,
    Server,
    WrkResult,
    fresh_database,
    median,
    print_table,
    run_wrk,
    uvicorn_server,
)

from consentgate.ledger.verify import verify
from consentgate.store import open_store

TARGET = 1500.0

_LUA = """
wrk.method = "POST"
wrk.body = '{"action":"accept_all"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Origin"] = "%(origin)s"
"""


def run_wrk_post(url: str, *, duration: float, connections: int, server: Server) -> WrkResult:
    """wrk with the choice script against ``url`` (one thread: the other core serves)."""
    origin = url.split("/consentgate/")[0]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % {"origin": origin})
    try:
        return run_wrk(url, duration=duration, connections=connections, server=server, script=script.name)
    finally:
        os.unlink(script.name)


async def _check(database: str) -> tuple[int, bool]:
    """Records in the ledger and whether every chain verifies."""
    store = open_store(database, migrate=False)
    await store.open()
    try:
        report = await verify(store)
        return report.records, report.ok
    finally:
        await store.close()


def bench_backend(backend: str, *, duration: float, rounds: int, connections: int) -> list[WrkResult]:
    runs: list[WrkResult] = []
    with (
        fresh_database(backend) as database,
        uvicorn_server(
            "tests.support.ledger_gate_app:create_app", app_dir=ROOT, env={"CG_DATABASE": database}
        ) as server,
    ):
        url = server.url + "/consentgate/consent"
        run_wrk_post(
            url, duration=2, connections=connections, server=server
        )  # warm-up: schema, pools, caches
        answered, _ = asyncio.run(_check(database))
        for index in range(rounds):
            result = run_wrk_post(url, duration=duration, connections=connections, server=server)
            if result.errors:
                raise BenchError(f"{backend}: {result.errors} of {result.requests} choices failed")
            answered += result.requests
            runs.append(result)
            print(
                f"  {backend} round {index + 1}/{rounds}: {result.requests_per_sec:,.0f} choices/s",
                flush=True,
            )
        stored, ok = asyncio.run(_check(database))
    # wrk counts only completed (answered) requests; the ledger may hold a few more that were cut off.
    if stored < answered or not ok:
        raise BenchError(
            f"{backend}: {answered} choices answered but {stored} records stored (verify ok={ok})"
        )
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per round (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per backend (default 2)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), action="append", help="default: both")
    parser.add_argument("--strict", action="store_true", help=f"exit 1 below {TARGET:,.0f} choices/s")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgres"]
    print(f"consent choices end to end: {platform.python_version()}, {os.cpu_count()} CPUs, uvicorn 1 worker")
    rows = []
    below = []
    for backend in backends:
        runs = bench_backend(
            backend, duration=args.duration, rounds=args.rounds, connections=args.connections
        )
        rate = median(runs)
        rows.append(
            [
                backend,
                f"{rate:,.0f}",
                f"{median(runs, 'latency_p50_ms'):.1f}",
                f"{median(runs, 'latency_p99_ms'):.1f}",
                f"{sum(r.requests for r in runs):,}",
                "yes" if rate >= TARGET else "NO",
            ]
        )
        if rate < TARGET:
            below.append(backend)
    print_table(
        f"POST /consentgate/consent, wrk -t1 -c{args.connections}, {args.rounds} x {args.duration:g} s (median)",
        ["backend", "choices/s", "p50 ms", "p99 ms", "choices", f">= {TARGET:,.0f}"],
        rows,
    )
    if below and args.strict:
        print(f"bench_choices: below {TARGET:,.0f} choices/s: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
