"""API key checks: does the answer's time tell a known key id from an unknown one?

A wrong secret for a key id that exists and a well-formed key whose id does not exist both answer
401 ``bad_key``; an attacker who could tell them apart by time would learn which ids exist. The gate
(a trivial site behind ConsentMiddleware, SQLite ledger in a temporary directory) is called
straight as an ASGI app, no server and no sockets, so the figure is the gate's own work:
``GET /consentgate/api/v1/changes`` with, alternately, (a) a known key id and a wrong secret and
(b) an unknown key id, ``--requests`` of each after a warm-up, each request from its own client
address (the limit on failed attempts per address is a policy, not a cost). A third mode, (c) a
fresh random unknown id on every request (each costs one store read until it is remembered), is
measured after them and shown for comparison; the limit on failed attempts per address allows a
client 20 of those, then one every 5 seconds. Target: the medians of (a) and (b) within 10% of each other.

    .venv/bin/python bench/bench_api_keys.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consentgate import ConsentMiddleware  # noqa: E402
from consentgate.api.keys import ApiKey, hash_key, new_key  # noqa: E402


async def _app(scope: Any, receive: Any, send: Any) -> None:  # never reached: the API answers
    raise AssertionError("the API route should have answered")


async def _call(gate: ConsentMiddleware, token: str, client: str) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/consentgate/api/v1/changes",
        "raw_path": b"/consentgate/api/v1/changes",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "client": (client, 40000),
        "server": ("bench", 80),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    started = time.perf_counter()
    await gate(scope, receive, send)
    took = time.perf_counter() - started
    if status != 401:
        raise SystemExit(f"expected 401, got {status}")
    return took


def _fresh_token() -> str:
    return f"cgk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


async def _run(requests: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        gate = ConsentMiddleware(_app, secret_key="bench-secret", database=f"sqlite:///{folder}/b.db")
        store = await gate.store()
        key_id, key = new_key()
        await store.add_api_key(ApiKey(key_id, "bench", "read", time.time()), hash_key(key))
        wrong = f"cgk_{key_id}_{secrets.token_urlsafe(32)}"
        unknown = f"cgk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
        pair: dict[str, Callable[[], str]] = {
            "wrong secret, known id": lambda: wrong,
            "unknown id (the same one)": lambda: unknown,
        }
        fresh: dict[str, Callable[[], str]] = {"unknown id (a new one each time)": _fresh_token}
        times: dict[str, list[float]] = {name: [] for name in (*pair, *fresh)}
        n = 0
        # (a) and (b) interleaved, their order swapped every round; (c) on its own afterwards, as its
        # store reads would slow whatever request follows them. The first 200 rounds warm up.
        for modes in (pair, fresh):
            for round_ in range(requests + 200):
                order = list(modes.items()) if round_ % 2 else list(reversed(modes.items()))
                for name, token in order:
                    n += 1
                    took = await _call(gate, token(), f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
                    if round_ >= 200:
                        times[name].append(took)
        await gate.aclose()
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per mode (default 2000)")
    args = parser.parse_args()
    times = asyncio.run(_run(args.requests))
    print(f"API key check, 401 answers, {args.requests} requests per mode (in process, interleaved)")
    print(f"{'mode':36} {'median us':>10} {'mean us':>10} {'p90 us':>10}")
    for name, values in times.items():
        values.sort()
        p90 = values[int(len(values) * 0.9)]
        print(
            f"{name:36} {statistics.median(values) * 1e6:10.1f} {statistics.fmean(values) * 1e6:10.1f} {p90 * 1e6:10.1f}"
        )
    a = statistics.median(times["wrong secret, known id"])
    b = statistics.median(times["unknown id (the same one)"])
    print(
        f"difference of the medians, unknown id vs wrong secret: {(b - a) / a * 100:+.1f}% (target: within 10%)"
    )


if __name__ == "__main__":
    main()
