"""What the request log costs: the same gated app with logging on (to a file) and off, in one run.

Serves the bench_http tiny app behind ConsentMiddleware twice under uvicorn on loopback (one worker
each, no access log): with ``[logging] enabled = false`` and with ``enabled = true`` writing raw
lines to a file in a temporary directory. wrk (``-t1 -c32``) drives the JSON endpoint with a real
browser User-Agent, a Referer and a query string, alternating off and on rounds; the table gives
requests/s per variant and the on/off ratio (paired per round) and server CPU per request.
Target: ratio >= 0.95. Then a user-agent parse micro-benchmark (bench/useragents.txt): see
bench_useragent.py.

    .venv/bin/python bench/bench_logging.py [--duration 5] [--rounds 3] [--strict]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _harness import (
    BENCH_DIR,
    BenchError,
    Server,
    WrkResult,
    alternate,
    median,
    paired_ratio,
    print_table,
    run_wrk,
    uvicorn_server,
)
from bench_http import JSON_PATH, _tiny_app
from starlette.types import ASGIApp

from consentgate import ConsentMiddleware

TARGET_RATIO = 0.95
_SECRET = "bench-secret-key-not-for-production"
_DIR_ENV = "BENCH_LOGGING_DIR"
_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    ),
    "Referer": "https://www.google.com/search?q=call+tracking",
}
_URL_PATH = JSON_PATH + "?utm_source=google&gclid=bench123"


def _gate(logging_on: bool) -> ASGIApp:
    base = Path(os.environ.get(_DIR_ENV, "."))
    settings = {"enabled": logging_on, "path": str(base / "logs" / "requests.log"), "rollup_every_minutes": 0}
    return ConsentMiddleware(
        _tiny_app(),
        secret_key=_SECRET,
        database=f"sqlite:///{base}/ledger-{int(logging_on)}.db",
        logging=settings,
    )


def off_app() -> ASGIApp:
    """The gated app with request logging off (uvicorn factory)."""
    return _gate(False)


def on_app() -> ASGIApp:
    """The gated app with request logging on, to a file (uvicorn factory)."""
    return _gate(True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per variant, alternated (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument(
        "--strict", action="store_true", help=f"exit 1 when the ratio is below {TARGET_RATIO}"
    )
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    def wrk(server: Server, duration: float) -> Callable[[], WrkResult]:
        return lambda: run_wrk(
            server.url + _URL_PATH,
            duration=duration,
            connections=args.connections,
            headers=_HEADERS,
            server=server,
        )

    with tempfile.TemporaryDirectory(prefix="bench-logging-") as tmp:
        env = {_DIR_ENV: tmp}
        with (
            uvicorn_server("bench_logging:off_app", app_dir=BENCH_DIR, ready_path=JSON_PATH, env=env) as off,
            uvicorn_server("bench_logging:on_app", app_dir=BENCH_DIR, ready_path=JSON_PATH, env=env) as on,
        ):
            servers = {"logging off": off, "logging on (file)": on}
            print(
                f"Request log: on vs off, gated JSON {JSON_PATH}, uvicorn --workers 1 on loopback "
                f"(Python {platform.python_version()}), wrk -t1 -c{args.connections} -d{args.duration:g}s, "
                f"{args.rounds} alternated rounds, {os.cpu_count()} CPUs\n"
            )
            results = alternate(
                {name: wrk(server, args.duration) for name, server in servers.items()},
                rounds=args.rounds,
                warmup=lambda name: wrk(servers[name], 1)(),
                progress=log,
            )
        written = sum(p.stat().st_size for p in (Path(tmp) / "logs").glob("requests*.log"))
        lines = sum(p.read_bytes().count(b"\n") for p in (Path(tmp) / "logs").glob("requests*.log"))
    if lines == 0:
        raise BenchError("logging on wrote no line: the variant measured nothing")
    base = results["logging off"]
    rows = [
        [
            name,
            f"{median(runs):,.0f}",
            " ".join(f"{r.requests_per_sec:,.0f}" for r in runs),
            f"{median(runs, 'latency_p50_ms'):.2f}",
            f"{median(runs, 'latency_p99_ms'):.2f}",
            f"{median(runs, 'server_cpu_us'):.1f}",
            f"{paired_ratio(runs, base):.3f}",
            f"{median(base, 'server_cpu_us') / median(runs, 'server_cpu_us'):.3f}",
        ]
        for name, runs in results.items()
    ]
    header = [
        "variant",
        "req/s (median)",
        "req/s per round",
        "p50 ms",
        "p99 ms",
        "CPU us/req",
        "req/s ratio",
        "CPU ratio",
    ]
    print_table(f"JSON {JSON_PATH} ({lines:,} log lines, {written:,} B written)", header, rows)
    ratio = paired_ratio(results["logging on (file)"], base)
    print(
        f"target: req/s on/off >= {TARGET_RATIO}: {ratio:.3f}, {'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )
    return 1 if args.strict and ratio < TARGET_RATIO else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench_logging: error: {exc}", file=sys.stderr)
        sys.exit(1)
