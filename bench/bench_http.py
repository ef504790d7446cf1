"""What the gate costs per HTTP request: the same app bare and gated, side by side in one run.

Serves a tiny app twice under uvicorn on loopback (one worker each, no access log): bare, and
wrapped in ConsentMiddleware. wrk (``-t1 -c32``) drives a JSON endpoint and a 20 KB HTML page built
from the demo site (with its vendor tags), alternating bare and gated rounds, and the table gives
requests/s per variant and the gated/bare ratio. The gated app is measured twice: for a visitor
without a choice, and for one with a signed consent cookie (verified on every request); each is
compared with bare serving the same requests (so the cookie variant's baseline carries the cookie too).
Target: ratio >= 0.95 on the JSON endpoint.

    .venv/bin/python bench/bench_http.py [--duration 5] [--rounds 3] [--strict]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from collections.abc import Callable

import httpx
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
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from consentgate import ConsentMiddleware
from consentgate.cli.demo import load_demo_module

JSON_PATH = "/api/status"
HTML_PATH = "/page"
TARGET_JSON_RATIO = 0.95
_SECRET = "bench-secret-key-not-for-production"
_DATABASE_ENV = "BENCH_HTTP_DATABASE"
_PAGE_BYTES = 20 * 1024


def html_page() -> str:
    """A 20 KB marketing page: the demo's blog post (all site-wide tags, YouTube, X, Facebook) with
    the home page's sections added, padded with article copy to 20 KB."""
    site = load_demo_module()
    post: str = site.render_page("/blog/how-call-tracking-works")
    home: str = site.render_page("/")
    start = home.index('<main id="main">') + len('<main id="main">')
    extra = home[start : home.index("</main>")]
    page = post.replace("</main>", extra + "</main>", 1)
    filler = "<p>Calls convert ten times better than web leads; measure them next to every click.</p>\n"
    while len(page.encode()) < _PAGE_BYTES:
        page = page.replace("</main>", filler + "</main>", 1)
    return page


def _tiny_app() -> Starlette:
    page = html_page()
    status = {"status": "ok", "service": "callwise-numbers", "pool": "web", "available": 42, "region": "us"}

    async def api_status(request: Request) -> Response:
        return JSONResponse(status)

    async def html(request: Request) -> Response:
        return HTMLResponse(page)

    return Starlette(routes=[Route(JSON_PATH, api_status), Route(HTML_PATH, html)])


def bare_app() -> ASGIApp:
    """The app without the gate (uvicorn factory)."""
    return _tiny_app()


def gated_app() -> ASGIApp:
    """The same app behind ConsentMiddleware with a SQLite ledger (uvicorn factory)."""
    database = os.environ.get(_DATABASE_ENV, "sqlite:///./bench-http.db")
    return ConsentMiddleware(_tiny_app(), secret_key=_SECRET, database=database)


def _decided_cookie(base_url: str) -> str:
    """The Cookie header of a visitor who accepted analytics only (a real choice, signed by the gate)."""
    response = httpx.post(
        base_url + "/consentgate/consent",
        json={"categories": {"analytics": True, "advertising": False, "social": False}},
        headers={"Origin": base_url},
        timeout=10,
    )
    if response.status_code != 200 or not response.cookies:
        raise BenchError(f"the gate did not record a choice: {response.status_code} {response.text[:200]}")
    return "; ".join(f"{name}={value}" for name, value in response.cookies.items())


def _check_variants(bare_url: str, gated_url: str) -> int:
    """Make sure the two servers differ only by the gate; returns the page size in bytes."""
    with httpx.Client(timeout=10) as client:
        if client.get(gated_url + "/consentgate/consent").status_code != 200:
            raise BenchError("the gated server does not answer the gate's own route")
        if client.get(bare_url + "/consentgate/consent").status_code != 404:
            raise BenchError("the bare server answers the gate's route: it is gated too")
        for url in (bare_url, gated_url):
            for path in (JSON_PATH, HTML_PATH):
                if client.get(url + path).status_code != 200:
                    raise BenchError(f"{url}{path} does not answer 200")
        return len(client.get(bare_url + HTML_PATH).content)


_Target = tuple[Server, str, dict[str, str] | None]
#: The bare variant each variant is compared with: the one that receives the same requests.
_BASELINE = {
    "bare": "bare",
    "bare, same cookie": "bare",
    "gated, no choice yet": "bare",
    "gated, consent cookie": "bare, same cookie",
}


def _warmup(targets: dict[str, _Target]) -> Callable[[str], WrkResult]:
    def warm(name: str) -> WrkResult:
        server, path, headers = targets[name]
        return run_wrk(server.url + path, duration=1, headers=headers)

    return warm


def _cpu_ratio(runs: list[WrkResult], baseline: list[WrkResult]) -> float:
    # Server CPU per request, bare over gated: the req/s ratio the gate would give with a core to
    # itself, and much steadier than req/s when other work shares the machine.
    return median(baseline, "server_cpu_us") / median(runs, "server_cpu_us")


def _row(name: str, runs: list[WrkResult], baseline: list[WrkResult]) -> list[str]:
    return [
        name,
        f"{median(runs):,.0f}",
        " ".join(f"{r.requests_per_sec:,.0f}" for r in runs),
        f"{median(runs, 'latency_p50_ms'):.2f}",
        f"{median(runs, 'latency_p99_ms'):.2f}",
        f"{median(runs, 'server_cpu_us'):.1f}",
        f"{paired_ratio(runs, baseline):.3f}",
        f"{_cpu_ratio(runs, baseline):.3f}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per variant, alternated (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument(
        "--strict", action="store_true", help=f"exit 1 when the JSON ratio is below {TARGET_JSON_RATIO}"
    )
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    def wrk(target: _Target) -> Callable[[], WrkResult]:
        server, path, headers = target
        return lambda: run_wrk(
            server.url + path,
            duration=args.duration,
            connections=args.connections,
            headers=headers,
            server=server,
        )

    ratios: dict[str, float] = {}
    cpu_ratios: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-http-") as tmp,
        uvicorn_server("bench_http:bare_app", app_dir=BENCH_DIR, ready_path=JSON_PATH) as bare,
        uvicorn_server(
            "bench_http:gated_app",
            app_dir=BENCH_DIR,
            ready_path=JSON_PATH,
            env={_DATABASE_ENV: f"sqlite:///{tmp}/ledger.db"},
        ) as gated,
    ):
        page_bytes = _check_variants(bare.url, gated.url)
        cookie = _decided_cookie(gated.url)
        print(
            f"HTTP: gated vs bare, uvicorn --workers 1 on loopback (Python {platform.python_version()}), "
            f"wrk -t1 -c{args.connections} -d{args.duration:g}s, {args.rounds} alternated rounds per variant, "
            f"{os.cpu_count()} CPUs\n"
        )
        for label, path in (
            (f"JSON {JSON_PATH}", JSON_PATH),
            (f"HTML {HTML_PATH} ({page_bytes:,} B)", HTML_PATH),
        ):
            log(f"{label}: warming up and measuring")
            targets: dict[str, _Target] = {
                "bare": (bare, path, None),
                "bare, same cookie": (bare, path, {"Cookie": cookie}),
                "gated, no choice yet": (gated, path, None),
                "gated, consent cookie": (gated, path, {"Cookie": cookie}),
            }
            results = alternate(
                {name: wrk(target) for name, target in targets.items()},
                rounds=args.rounds,
                warmup=_warmup(targets),
                progress=log,
            )
            # Each variant is compared with bare serving the very same requests (the cookie header
            # costs the server's HTTP parser something whether the gate is there or not).
            rows = [_row(name, runs, results[_BASELINE[name]]) for name, runs in results.items()]
            print_table(
                label,
                [
                    "variant",
                    "req/s (median)",
                    "req/s per round",
                    "p50 ms",
                    "p99 ms",
                    "CPU us/req",
                    "req/s ratio",
                    "CPU ratio",
                ],
                rows,
            )
            gated_runs = {name: runs for name, runs in results.items() if name.startswith("gated")}
            ratios[path] = min(
                paired_ratio(runs, results[_BASELINE[name]]) for name, runs in gated_runs.items()
            )
            cpu_ratios[path] = min(
                _cpu_ratio(runs, results[_BASELINE[name]]) for name, runs in gated_runs.items()
            )

    json_ratio = ratios[JSON_PATH]
    verdict = "met" if json_ratio >= TARGET_JSON_RATIO else "NOT met"
    print(
        f"target: req/s gated/bare >= {TARGET_JSON_RATIO} on JSON (worst gated variant): "
        f"{json_ratio:.3f}, {verdict} (CPU ratio {cpu_ratios[JSON_PATH]:.3f})"
    )
    print(
        f"HTML req/s gated/bare (worst gated variant): {ratios[HTML_PATH]:.3f} "
        f"(CPU ratio {cpu_ratios[HTML_PATH]:.3f})"
    )
    return 1 if args.strict and json_ratio < TARGET_JSON_RATIO else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench_http: error: {exc}", file=sys.stderr)
        sys.exit(1)
