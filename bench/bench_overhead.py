"""The gate's own cost per request, in-process: the same Starlette app called bare and gated.

No server and no network: the ASGI app is called directly with a GET for a JSON endpoint, so the
figure is the middleware's work alone (cookie look-up and verify, decision, response wrappers),
free of the HTTP server's cost and of the noise of a shared machine. Bare and gated alternate in
rounds; the table gives the best round of each (microseconds per request) and the added cost.

    .venv/bin/python bench/bench_overhead.py [--requests 30000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time

from _harness import print_table
from bench_http import JSON_PATH, _tiny_app
from starlette.types import ASGIApp, Message, Scope

from consentgate import ConsentMiddleware
from consentgate.consent.cookie import StoredChoice

_SECRET = "bench-secret-key-not-for-production"
_BROWSER = (
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/131.0.0.0 Safari/537.36"
)


async def _measure(app: ASGIApp, headers: list[tuple[bytes, bytes]], requests: int) -> float:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    start = time.process_time()
    for _ in range(requests):
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": JSON_PATH,
            "raw_path": JSON_PATH.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": list(headers),
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        await app(scope, receive, send)
    return (time.process_time() - start) / requests * 1e6


async def _main(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        bare = _tiny_app()
        gate = ConsentMiddleware(_tiny_app(), secret_key=_SECRET, database=f"sqlite:///{tmp}/ledger.db")
        logged = ConsentMiddleware(
            _tiny_app(),
            secret_key=_SECRET,
            database=f"sqlite:///{tmp}/ledger-logged.db",
            logging={"enabled": True, "path": f"{tmp}/logs/requests.log", "rollup_every_minutes": 0},
        )
        cookie = gate.codec.encode(
            StoredChoice("bench-consent-id-0000", frozenset({"necessary", "analytics"}), 1, int(time.time()))
        )
        base = [(b"host", b"127.0.0.1:8000"), (b"user-agent", _BROWSER), (b"accept", b"*/*")]
        with_cookie = [*base, (b"cookie", f"consentgate={cookie}".encode())]
        variants: dict[str, tuple[ASGIApp, list[tuple[bytes, bytes]]]] = {
            "bare": (bare, base),
            "bare, same cookie": (bare, with_cookie),
            "gated, no choice yet": (gate, base),
            "gated, consent cookie": (gate, with_cookie),
            "gated, consent cookie, request log on": (logged, with_cookie),
        }
        baseline = {
            "gated, no choice yet": "bare",
            "gated, consent cookie": "bare, same cookie",
            "gated, consent cookie, request log on": "gated, consent cookie",
        }
        best: dict[str, float] = {}
        for app, headers in variants.values():  # warm-up: caches, imports, code paths
            await _measure(app, headers, 2000)
        for _ in range(rounds):
            for name, (app, headers) in variants.items():
                us = await _measure(app, headers, requests)
                best[name] = min(best.get(name, us), us)
        rows = []
        for name, us in best.items():
            base_name = baseline.get(name)
            added = f"{us - best[base_name]:+.2f}" if base_name else ""
            rows.append([name, f"{us:.2f}", added])
        print_table(
            f"in-process, JSON {JSON_PATH}, best of {rounds} rounds of {requests:,} requests",
            ["variant", "us/request", "adds us (vs the row before)"],
            rows,
        )
        await gate.aclose()
        await logged.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=30000, help="requests per round (default 30000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per variant (default 5)")
    args = parser.parse_args(argv)
    asyncio.run(_main(args.requests, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
