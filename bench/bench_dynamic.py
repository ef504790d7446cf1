"""What the gate costs on dynamic pages: a fresh token, nonce and data value in every response.

Real pages differ on every request, so the gate's whole-body cache never answers for them. The
app here renders the demo's 20 KB page (``bench_http.py``'s) from a template on every request,
with three values that are new each time, as a server-rendered site does:

- a CSRF token in a hidden ``<input>`` of a newsletter form;
- a CSP nonce in the ``Content-Security-Policy`` header and on every ``<script>`` of the page;
- a request id and a timestamp in an inline ``dataLayer.push`` (the page data a tag manager reads).

Two sizes: 20 KB (the demo page, its filler replaced by cards of related posts) and 100 KB (more
cards: responsive images on the site's CDN, links, a YouTube or Vimeo embed every few cards).

**Over HTTP** (uvicorn ``--workers 1`` on loopback, wrk ``-t1 -c32``, server and wrk on cores of
their own when there are two): the same app bare and behind ConsentMiddleware, alternated round by
round in one run, gated/bare req/s as the median of each round's ratio. Two modes: ``uniform``
(the gate's uniform mode, requests without a cookie) and ``per-visitor`` (per_visitor mode, every
request with the signed consent cookie of one of 16 visitors, cycled by a wrk Lua script, so the
blocked categories change from one request to the next; bare gets the same requests).
Targets: gated/bare >= 0.8 on 20 KB, >= 0.7 on 100 KB.

**In process** (CPU time of this process, median of rounds, a newly rendered page for every call;
rendering is not timed): MB/s of the rewriter on the same pages, uniform blocking, fed in 64 KB
chunks as in ``bench_rewriter.py``:

- ``copy``: the floor of any streaming pass;
- ``gate, warm plan``: what the gate runs (:class:`MemoRewriter`: segments seen before answered
  from the plan's memory, only what changed read) with a plan that has seen many renderings of
  the page (what a running server has);
- ``rewriter alone, warm plan``: the streaming :class:`Rewriter` without that memory, same plan
  history (its verdict caches warm), to show what the memory saves;
- ``gate, cold plan``: a new plan for every page, nothing cached (the catalog is shared, as in a
  server process; the first page of a plan is read by the rewriter alone, as there is nothing to
  remember yet; ``bench_rewriter.py`` measures the cold rewriter on its own pages too);
- ``lol-html, cold plan``: ``bench_rewriter.py``'s lol-html doing the same job.

Targets: cold >= 150 MB/s on 20 KB, cold >= 2x lol-html cold on every size.

    .venv/bin/python bench/bench_dynamic.py [--duration 5] [--rounds 3] [--smoke] [--strict]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from _dynamic_pages import DynamicPage, csp
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
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from consentgate import ConsentMiddleware
from consentgate.gate.rewrite import MemoRewriter, RewritePlan, Rewriter

SIZES = {"20 KB": 20 * 1024, "100 KB": 100 * 1024}
PATHS = {"20 KB": "/page/20", "100 KB": "/page/100"}
#: gated/bare req/s targets per page size.
TARGETS = {"20 KB": 0.8, "100 KB": 0.7}
TARGET_COLD_20KB = 150.0  # MB/s
TARGET_COLD_VS_LOLHTML = 2.0
CATEGORIES = ("analytics", "advertising", "social")
VISITORS = 16
_SECRET = "bench-secret-key-not-for-production"
_DATABASE_ENV = "BENCH_DYNAMIC_DATABASE"
_MODE_ENV = "BENCH_DYNAMIC_MODE"
_CHUNK = 64 * 1024
_START_TIMEOUT = 120.0

# --- the apps (uvicorn factories) ---------------------------------------------------------------------


def _site() -> Starlette:
    pages = {path: DynamicPage(SIZES[label]) for label, path in PATHS.items()}

    def endpoint(page: DynamicPage) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            out = page.render()
            headers = {"content-security-policy": csp(out.nonce), "cache-control": "no-store"}
            return HTMLResponse(out.html, headers=headers)

        return serve

    async def ready(request: Request) -> Response:
        return Response("ok", media_type="text/plain")

    routes = [Route(path, endpoint(page)) for path, page in pages.items()]
    return Starlette(routes=[*routes, Route("/ready", ready)])


def bare_app() -> ASGIApp:
    """The dynamic site without the gate (uvicorn factory)."""
    return _site()


def gated_app() -> ASGIApp:
    """The same site behind ConsentMiddleware (uvicorn factory); mode and database from the env."""
    database = os.environ.get(_DATABASE_ENV, "sqlite:///./bench-dynamic.db")
    mode = os.environ.get(_MODE_ENV, "uniform")
    return ConsentMiddleware(_site(), secret_key=_SECRET, database=database, mode=mode)


# --- checks and visitors --------------------------------------------------------------------------------

_HIDDEN_TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')
_REQUEST_ID = re.compile(rb'dataLayer\.push\(\{[^}]*"requestId": "([0-9a-f]+)"')
_ANY_SCRIPT = re.compile(rb"<script\b[^>]*>")
_TAG_NONCE = re.compile(rb'\snonce="([^"]*)"')
_HEADER_NONCE = re.compile(r"'nonce-([^']+)'")


def page_values(response: httpx.Response) -> tuple[str, str, str, list[str | None]]:
    """A response's header nonce, CSRF token, dataLayer request id, and the nonce of each script
    tag that runs (None for one without); a JSON data script needs none."""
    header = _HEADER_NONCE.search(response.headers.get("content-security-policy", ""))
    token = _HIDDEN_TOKEN.search(response.content)
    request_id = _REQUEST_ID.search(response.content)
    if header is None or token is None or request_id is None:
        raise BenchError(f"{response.url}: the page lacks its nonce, CSRF token or dataLayer value")
    nonces: list[str | None] = []
    for tag in _ANY_SCRIPT.findall(response.content):
        if b'type="application/json"' in tag:
            continue
        found = _TAG_NONCE.search(tag)
        nonces.append(found.group(1).decode() if found else None)
    return header.group(1), token.group(1).decode(), request_id.group(1).decode(), nonces


def check_dynamic(client: httpx.Client, url: str, gated: bool) -> int:
    """Raise BenchError unless two responses of ``url`` differ in token, nonce and dataLayer value,
    every script carries the response's nonce, and (gated) the banner is injected; the page size."""
    first, second = client.get(url), client.get(url)
    for response in (first, second):
        if response.status_code != 200:
            raise BenchError(f"{url} answered {response.status_code}")
        nonce, _, _, scripts = page_values(response)
        if any(found != nonce for found in scripts):
            raise BenchError(f"{url}: a script does not carry the response's nonce {nonce}: {scripts}")
        if gated != (b"/consentgate/" in response.content and b"data-cg-category=" in response.content):
            raise BenchError(f"{url}: {'no' if gated else 'a'} banner injected and tags made inert")
    a, b = page_values(first)[:3], page_values(second)[:3]
    if any(x == y for x, y in zip(a, b, strict=True)):
        raise BenchError(f"{url}: two responses share a value that must be fresh: {a} / {b}")
    return len(first.content)


def visitor_cookies(base_url: str, count: int = VISITORS) -> list[str]:
    """The signed consent cookies of ``count`` visitors, their choices cycling through every
    combination of the optional categories (recorded by the gate, as a browser would)."""
    cookies = []
    with httpx.Client(timeout=10) as client:
        for n in range(count):
            choice = {cat: bool(n >> bit & 1) for bit, cat in enumerate(CATEGORIES)}
            response = client.post(
                base_url + "/consentgate/consent",
                json={"categories": choice},
                headers={"Origin": base_url},
            )
            if response.status_code != 200 or not response.cookies:
                raise BenchError(
                    f"the gate did not record a choice: {response.status_code} {response.text[:200]}"
                )
            cookies.append("; ".join(f"{k}={v}" for k, v in response.cookies.items()))
            client.cookies.clear()
    return cookies


def cookie_script(cookies: list[str], folder: Path) -> Path:
    """A wrk Lua script that sends the cookies in turn, one per request."""
    quoted = ",\n".join(f'  "{c}"' for c in cookies)
    script = folder / "visitors.lua"
    script.write_text(
        f"local cookies = {{\n{quoted}\n}}\nlocal n = 0\n"
        "request = function()\n  n = n % #cookies + 1\n"
        '  return wrk.format(nil, nil, {["Cookie"] = cookies[n]})\nend\n'
    )
    return script


# --- in process -----------------------------------------------------------------------------------------


def cpu_per_page(run: Callable[[bytes, str], object], page: DynamicPage, minimum: float) -> float:
    """CPU seconds per call of ``run(body, nonce)``, each call on a newly rendered page whose
    rendering is not counted; repeated until ``minimum`` seconds of calls."""
    spent, calls = 0.0, 0
    clock = time.process_time
    while spent < minimum or calls == 0:
        out = page.render()
        body = out.html.encode()
        begin = clock()
        run(body, out.nonce)
        spent += clock() - begin
        calls += 1
    return spent / calls


def in_process(rounds: int, minimum: float) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """MB/s per contestant and page size (median over rounds), and the pages' lengths."""
    import bench_rewriter as rw  # its config, plan, chunks and lol-html contestant

    def chunks(body: bytes) -> list[bytes]:
        return [body[i : i + _CHUNK] for i in range(0, len(body), _CHUNK)]

    warm = rw.new_plan()

    alone = rw.new_plan()

    def gate(
        kind: type[MemoRewriter | Rewriter], plan: Callable[[], RewritePlan], body: bytes, nonce: str
    ) -> bytes:
        rewriter = kind(plan(), rw.BLOCKED, nonce=nonce)
        out = [rewriter.feed(part) for part in chunks(body)]
        out.append(rewriter.finish())
        return b"".join(out)

    contestants: dict[str, Callable[[bytes, str], object]] = {
        "copy": lambda body, nonce: rw.copy(chunks(body)),
        "gate, warm plan": functools.partial(gate, MemoRewriter, lambda: warm),
        "rewriter alone, warm plan": functools.partial(gate, Rewriter, lambda: alone),
        "gate, cold plan": functools.partial(gate, MemoRewriter, rw.new_plan),
        "lol-html, cold plan": lambda body, nonce: rw.lol_html(rw.new_plan(), chunks(body)),
    }
    rates: dict[str, dict[str, float]] = {name: {} for name in contestants}
    lengths: dict[str, int] = {}
    for label, size in SIZES.items():
        page = DynamicPage(size)
        lengths[label] = length = len(page.render().html.encode())
        for _ in range(50):  # the warm plans have seen pages like these before
            rendered = page.render()
            contestants["gate, warm plan"](rendered.html.encode(), rendered.nonce)
            contestants["rewriter alone, warm plan"](rendered.html.encode(), rendered.nonce)
        times: dict[str, list[float]] = {name: [] for name in contestants}
        names = list(contestants)
        for index in range(rounds):
            for name in names if index % 2 == 0 else reversed(names):
                times[name].append(cpu_per_page(contestants[name], page, minimum))
        for name in names:
            rates[name][label] = length / statistics.median(times[name]) / 1e6
    return rates, lengths


# --- the run ----------------------------------------------------------------------------------------------

_Target = tuple[Server, str, Path | None]
_BASELINE = {
    "bare": "bare",
    "gated, uniform": "bare",
    "bare, visitors' cookies": "bare",
    "gated, per-visitor": "bare, visitors' cookies",
}


def _cpu_ratio(runs: list[WrkResult], baseline: list[WrkResult]) -> float:
    # Server CPU per request, bare over gated: steadier than req/s when other work shares the machine.
    return median(baseline, "server_cpu_us") / median(runs, "server_cpu_us")


def _row(name: str, runs: list[WrkResult], baseline: list[WrkResult]) -> list[str]:
    return [
        name,
        f"{median(runs):,.0f}",
        " ".join(f"{r.requests_per_sec:,.0f}" for r in runs),
        f"{median(runs, 'latency_p50_ms'):.2f}",
        f"{median(runs, 'latency_p99_ms'):.2f}",
        f"{median(runs, 'server_cpu_us'):.0f}",
        f"{paired_ratio(runs, baseline):.3f}",
        f"{_cpu_ratio(runs, baseline):.3f}",
    ]


@dataclass(frozen=True, slots=True)
class Servers:
    bare: Server
    uniform: Server
    per_visitor: Server
    script: Path


@contextmanager
def _servers() -> Iterator[Servers]:
    """The bare site and the gated site in both modes, each in its own uvicorn; the visitors' script."""
    stack = ExitStack()
    with stack:
        yield _start(stack)


def _start(stack: ExitStack) -> Servers:
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-dynamic-")))
    # Started side by side, with time to spare: each spends seconds importing on a busy machine.
    starting = [uvicorn_server("bench_dynamic:bare_app", ready_path="/ready", timeout=_START_TIMEOUT)] + [
        uvicorn_server(
            "bench_dynamic:gated_app",
            app_dir=BENCH_DIR,
            ready_path="/ready",
            timeout=_START_TIMEOUT,
            env={_DATABASE_ENV: f"sqlite:///{tmp}/{mode}.db", _MODE_ENV: mode},
        )
        for mode in ("uniform", "per_visitor")
    ]
    with ThreadPoolExecutor(len(starting)) as pool:
        entered = [pool.submit(server.__enter__) for server in starting]
    for server, future in zip(starting, entered, strict=True):
        if future.exception() is None:
            stack.push(server.__exit__)
    bare, uniform, per_visitor = (future.result() for future in entered)
    script = cookie_script(visitor_cookies(per_visitor.url), tmp)
    return Servers(bare, uniform, per_visitor, script)


def _call(runs: dict[str, Callable[[], WrkResult]], name: str) -> WrkResult:
    return runs[name]()


_HEADER = ["variant", "req/s (median)", "req/s per round", "p50 ms", "p99 ms", "CPU us/req", "req/s ratio",
           "CPU ratio"]  # fmt: skip


def measure_http(
    duration: float, rounds: int, connections: int, smoke: bool, log: Callable[[str], object]
) -> dict[tuple[str, str], float]:
    """The HTTP tables; gated/bare req/s ratios by (page size, mode). A smoke run checks every
    page but drives only the 20 KB one, without warm-up runs."""

    def wrk(target: _Target, seconds: float) -> Callable[[], WrkResult]:
        server, path, script = target
        return lambda: run_wrk(
            server.url + path, duration=seconds, connections=connections, server=server, script=script
        )

    ratios: dict[tuple[str, str], float] = {}
    with _servers() as servers, httpx.Client(timeout=10) as client:
        sizes = {}
        for label, path in PATHS.items():
            sizes[label] = check_dynamic(client, servers.bare.url + path, gated=False)
            check_dynamic(client, servers.uniform.url + path, gated=True)
            check_dynamic(client, servers.per_visitor.url + path, gated=True)
        print(
            f"Dynamic pages: gated vs bare, uvicorn --workers 1 on loopback (Python {platform.python_version()}), "
            f"wrk -t1 -c{connections} -d{duration:g}s, {rounds} alternated rounds per variant, "
            f"{os.cpu_count()} CPUs; a fresh CSRF token, CSP nonce and dataLayer value in every response\n"
        )
        for label, path in PATHS.items():
            if smoke and label != "20 KB":
                continue
            log(f"{label}: measuring")
            targets: dict[str, _Target] = {
                "bare": (servers.bare, path, None),
                "gated, uniform": (servers.uniform, path, None),
                "bare, visitors' cookies": (servers.bare, path, servers.script),
                "gated, per-visitor": (servers.per_visitor, path, servers.script),
            }
            warm: dict[str, Callable[[], WrkResult]] = {n: wrk(t, 1) for n, t in targets.items()}
            results = alternate(
                {name: wrk(target, duration) for name, target in targets.items()},
                rounds=rounds,
                warmup=None if smoke else functools.partial(_call, warm),
                progress=log,
            )
            rows = [_row(name, runs, results[_BASELINE[name]]) for name, runs in results.items()]
            print_table(f"{label} page ({sizes[label]:,} B bare)", _HEADER, rows)
            for mode, name in (("uniform", "gated, uniform"), ("per-visitor", "gated, per-visitor")):
                ratios[(label, mode)] = paired_ratio(results[name], results[_BASELINE[name]])
    return ratios


def print_rates(rates: dict[str, dict[str, float]], lengths: dict[str, int], rounds: int) -> None:
    rows = [[name] + [f"{rates[name][label]:,.0f}" for label in SIZES] for name in rates]
    cold, lol, warm = rates["gate, cold plan"], rates["lol-html, cold plan"], rates["gate, warm plan"]
    rows.append(["gate cold / lol-html cold"] + [f"{cold[label] / lol[label]:.2f}x" for label in SIZES])
    rows.append(
        ["gate, warm plan: CPU us/page"] + [f"{size / warm[label]:,.0f}" for label, size in lengths.items()]
    )
    print_table(
        f"Rewriter on fresh dynamic pages, MB/s (CPU time, median of {rounds} rounds; "
        f"{platform.python_implementation()} {platform.python_version()}, uniform blocking)",
        ["", *SIZES],
        rows,
    )


def verdicts(ratios: dict[tuple[str, str], float], rates: dict[str, dict[str, float]]) -> list[str]:
    """Print every target with its figure; the ones missed."""
    missed: list[str] = []

    def say(target: str, figure: str, met: bool) -> None:
        print(f"target: {target}: {figure}, {'met' if met else 'NOT met'}")
        if not met:
            missed.append(target)

    for (label, mode), ratio in ratios.items():
        say(
            f"gated/bare req/s >= {TARGETS[label]} on {label}, {mode}",
            f"{ratio:.3f}",
            ratio >= TARGETS[label],
        )
    if rates:
        cold = rates["gate, cold plan"]
        say(f"cold rewriter >= {TARGET_COLD_20KB:.0f} MB/s on 20 KB", f"{cold['20 KB']:,.0f} MB/s",
            cold["20 KB"] >= TARGET_COLD_20KB)  # fmt: skip
        for label in SIZES:
            times = cold[label] / rates["lol-html, cold plan"][label]
            say(f"cold rewriter >= {TARGET_COLD_VS_LOLHTML:.0f}x lol-html cold on {label}", f"{times:.2f}x",
                times >= TARGET_COLD_VS_LOLHTML)  # fmt: skip
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per variant, alternated (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--only", choices=("http", "rewriter"), help="run one half of the benchmark")
    parser.add_argument(
        "--smoke", action="store_true", help="a few seconds in all, to check the benchmark still runs"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.rounds = 1.0, 1

    def log(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    ratios: dict[tuple[str, str], float] = {}
    rates: dict[str, dict[str, float]] = {}
    if args.only != "rewriter":
        ratios = measure_http(args.duration, args.rounds, args.connections, args.smoke, log)
    if args.only != "http":
        log("in process: the rewriter on fresh pages")
        rounds = 1 if args.smoke else max(args.rounds, 5)
        rates, lengths = in_process(rounds, 0.02 if args.smoke else 0.3)
        print_rates(rates, lengths, rounds)
    missed = verdicts(ratios, rates)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench_dynamic: error: {exc}", file=sys.stderr)
        sys.exit(1)
