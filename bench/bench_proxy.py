"""The reverse proxy with and without the gate, beside nginx, side by side in one run.

An origin nginx serves the 20 KB demo page of ``bench_http.py`` and a small JSON file. wrk
(``-t1 -c32``) drives, alternating rounds:

- ``nginx direct``: the origin itself (the ceiling of the machine);
- ``gated proxy``: ``ConsentMiddleware(ProxyApp(upstream=origin))`` on uvicorn, one worker;
- ``ungated proxy``: ``ProxyApp(upstream=origin)`` alone, the same way;
- ``nginx proxy``: a second nginx with ``proxy_pass`` to the origin (keep-alive), for reference.

Then latency under a load the gated proxy can carry: both proxies at half the gated proxy's
saturated rate (wrk paced by a Lua ``delay()``), p99 compared.
Targets: gated/ungated req/s >= 0.8 on the page, >= 0.95 on JSON; gated p99 within 5 ms of ungated.

    .venv/bin/python bench/bench_proxy.py [--duration 5] [--rounds 3]
    .venv/bin/python bench/bench_proxy.py --instructions 100   # instructions per request (callgrind)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from _harness import (
    LOAD_CPU,
    SERVER_CPU,
    BenchError,
    Server,
    WrkResult,
    alternate,
    free_port,
    median,
    paired_ratio,
    pin_to,
    print_table,
    run_wrk,
    uvicorn_server,
)
from bench_http import html_page
from starlette.types import ASGIApp, Message

from consentgate import ConsentMiddleware, ProxyApp

PAGE_PATH = "/page.html"
JSON_PATH = "/status.json"
TARGETS = {PAGE_PATH: 0.8, JSON_PATH: 0.95}
TARGET_P99_MS = 5.0
_SECRET = "bench-secret-key-not-for-production"
_UPSTREAM_ENV = "BENCH_PROXY_UPSTREAM"
_DATABASE_ENV = "BENCH_PROXY_DATABASE"
_JSON = b'{"status":"ok","service":"callwise-numbers","pool":"web","available":42,"region":"us"}\n'

_NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx-{name}.pid;
error_log {tmp}/error-{name}.log error;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path {tmp}/body-{name};
  proxy_temp_path {tmp}/proxy-{name};
  fastcgi_temp_path {tmp}/fastcgi-{name};
  uwsgi_temp_path {tmp}/uwsgi-{name};
  scgi_temp_path {tmp}/scgi-{name};
  keepalive_requests 100000;
  {body}
}}
"""


def gated_app() -> ASGIApp:
    """The proxy behind the gate (uvicorn factory)."""
    upstream = os.environ[_UPSTREAM_ENV]
    database = os.environ.get(_DATABASE_ENV, "sqlite:///./bench-proxy.db")
    return ConsentMiddleware(ProxyApp(upstream=upstream), secret_key=_SECRET, database=database)


def ungated_app() -> ASGIApp:
    """The proxy alone (uvicorn factory)."""
    return ProxyApp(upstream=os.environ[_UPSTREAM_ENV])


@contextmanager
def _nginx(tmp: Path, name: str, body: str, cpu: int) -> Iterator[subprocess.Popen[bytes]]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise BenchError("nginx is not installed; install it with `apt-get install nginx`.")
    conf = tmp / f"nginx-{name}.conf"
    conf.write_text(_NGINX_CONF.format(tmp=tmp, name=name, body=body))
    process = subprocess.Popen(
        [nginx, "-e", str(tmp / f"error-{name}.log"), "-p", str(tmp), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=pin_to(cpu),
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _wait(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise BenchError(f"{url} did not answer within 20 s")


def _paced_script(tmp: Path, delay_ms: float) -> Path:
    script = tmp / f"paced-{delay_ms:.3f}.lua"
    script.write_text(f"function delay()\n  return {delay_ms:.3f}\nend\n")
    return script


def _warmup(urls: dict[str, str]) -> Callable[[str], WrkResult]:
    return lambda name: run_wrk(urls[name], duration=1)


def _paced(
    url: str, duration: float, connections: int, server: Server | None, script: Path
) -> Callable[[], WrkResult]:
    return lambda: run_wrk(url, duration=duration, connections=connections, server=server, script=script)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per variant, alternated (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument(
        "--instructions",
        type=int,
        default=0,
        metavar="N",
        help="instead: CPU instructions per request (callgrind, N requests, ASGI called in-process)",
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)  # VARIANT PATH COUNT ORIGIN
    args = parser.parse_args(argv)
    if args.child:
        variant, path, count, upstream = args.child
        asyncio.run(_requests(variant, path, int(count), upstream))
        return 0

    def log(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx's worker runs as another user when the benchmark runs as root
        site = tmp / "site"
        site.mkdir()
        (site / PAGE_PATH.lstrip("/")).write_text(html_page(), encoding="utf-8")
        (site / JSON_PATH.lstrip("/")).write_bytes(_JSON)
        origin_port, front_port = free_port(), free_port()
        origin = f"http://127.0.0.1:{origin_port}"
        origin_body = f"server {{ listen 127.0.0.1:{origin_port}; root {site}; }}"
        front_body = (
            f"upstream origin {{ server 127.0.0.1:{origin_port}; keepalive 64; }}\n"
            f"server {{ listen 127.0.0.1:{front_port}; location / {{ proxy_pass http://origin; "
            'proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; '
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_buffering on; } }"
        )
        env = {_UPSTREAM_ENV: origin, _DATABASE_ENV: f"sqlite:///{tmp}/ledger.db"}
        # The origin shares a core with wrk; each server under test has the other core to itself.
        with (
            _nginx(tmp, "origin", origin_body, LOAD_CPU),
            _nginx(tmp, "front", front_body, SERVER_CPU) as front_process,
        ):
            _wait(origin + JSON_PATH)
            _wait(f"http://127.0.0.1:{front_port}{JSON_PATH}")
            if args.instructions:
                return _instructions(origin, args.instructions, log)
            with (
                uvicorn_server("bench_proxy:gated_app", env=env, ready_path=JSON_PATH, timeout=120) as gated,
                uvicorn_server(
                    "bench_proxy:ungated_app", env=env, ready_path=JSON_PATH, timeout=120
                ) as ungated,
            ):
                front = Server(f"http://127.0.0.1:{front_port}", front_process)
                return _measure(args, log, tmp, origin, gated, ungated, front)


async def _requests(variant: str, path: str, count: int, upstream: str) -> None:
    """``count`` requests (after 20 to warm up) straight to the app's ASGI callable, as a server would."""
    proxy = ProxyApp(upstream=upstream)
    app: ASGIApp = proxy
    if variant == "gated":
        app = ConsentMiddleware(
            proxy,
            secret_key=_SECRET,
            database=os.environ.get(
                _DATABASE_ENV, f"sqlite:///{tempfile.gettempdir()}/bench-proxy-instructions.db"
            ),
        )
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000),
    }  # fmt: skip

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise BenchError(f"{variant} {path} answered {message['status']}")

    for _ in range(20 + count):
        await app(dict(scope), receive, send)
    await proxy.aclose()


def _instructions(origin: str, count: int, log: Callable[[str], None]) -> int:
    """Instructions per request of each proxy, from callgrind runs with 0 and ``count`` requests."""
    if shutil.which("valgrind") is None:
        raise BenchError("valgrind is not installed; install it with `apt-get install valgrind`.")
    per_request: dict[tuple[str, str], float] = {}
    for path in (JSON_PATH, PAGE_PATH):
        for variant in ("ungated", "gated"):
            totals = []
            for n in (0, count):
                log(f"callgrind: {variant} {path}, {n} requests")
                done = subprocess.run(
                    ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                     __file__, "--child", variant, path, str(n), origin],
                    capture_output=True, text=True, check=False,
                )  # fmt: skip
                found = re.search(r"Collected : (\d+)", done.stderr)
                if done.returncode != 0 or found is None:
                    raise BenchError(f"callgrind failed for {variant} {path}: {done.stderr[-2000:]}")
                totals.append(int(found.group(1)))
            per_request[variant, path] = (totals[1] - totals[0]) / count
    rows = []
    for path in (JSON_PATH, PAGE_PATH):
        ungated, gated = per_request["ungated", path], per_request["gated", path]
        rows.append(
            [path, f"{ungated:,.0f}", f"{gated:,.0f}", f"{gated - ungated:+,.0f}", f"{ungated / gated:.3f}"]
        )
    print_table(
        f"CPU instructions per request through the proxy (callgrind, {count} requests, ASGI in-process)",
        ["path", "ungated", "gated", "the gate", "ungated/gated"],
        rows,
    )
    return 0


def _measure(
    args: argparse.Namespace,
    log: Callable[[str], None],
    tmp: Path,
    origin: str,
    gated: Server,
    ungated: Server,
    front: Server,
) -> int:
    page = httpx.get(gated.url + PAGE_PATH, timeout=10)
    if "/consentgate/banner.js" not in page.text or "data-cg-src" not in page.text:
        raise BenchError("the gated proxy does not gate the page")
    if httpx.get(ungated.url + "/consentgate/consent", timeout=10).status_code != 404:
        raise BenchError("the ungated proxy answers the gate's route: it is gated too")
    page_bytes = len(httpx.get(origin + PAGE_PATH, timeout=10).content)
    print(
        f"Proxy: gated vs ungated consentgate proxy vs nginx, uvicorn --workers 1 on loopback "
        f"(Python {platform.python_version()}), wrk -t1 -c{args.connections} -d{args.duration:g}s, "
        f"{args.rounds} alternated rounds, {os.cpu_count()} CPUs; origin: nginx\n"
    )
    targets = {
        "nginx direct": (origin, None),
        "gated proxy": (gated.url, gated),
        "ungated proxy": (ungated.url, ungated),
        "nginx proxy": (front.url, front),
    }
    verdicts: list[str] = []
    saturated: dict[str, float] = {}
    for path, label in (
        (PAGE_PATH, f"HTML {PAGE_PATH} ({page_bytes:,} B)"),
        (JSON_PATH, f"JSON {JSON_PATH}"),
    ):
        log(f"{label}: warming up and measuring")

        def wrk(url: str, server: Server | None, path: str = path) -> Callable[[], WrkResult]:
            return lambda: run_wrk(
                url + path, duration=args.duration, connections=args.connections, server=server
            )

        results = alternate(
            {name: wrk(url, server) for name, (url, server) in targets.items()},
            rounds=args.rounds,
            warmup=_warmup({name: url + path for name, (url, _) in targets.items()}),
            progress=log,
        )
        rows = [
            [
                name,
                f"{median(runs):,.0f}",
                " ".join(f"{r.requests_per_sec:,.0f}" for r in runs),
                f"{median(runs, 'latency_p50_ms'):.2f}",
                f"{median(runs, 'latency_p99_ms'):.2f}",
                f"{median(runs, 'server_cpu_us'):.1f}",
                f"{paired_ratio(runs, results['ungated proxy']):.3f}",
            ]
            for name, runs in results.items()
        ]
        print_table(
            label,
            ["variant", "req/s (median)", "req/s per round", "p50 ms", "p99 ms", "CPU us/req", "vs ungated"],
            rows,
        )
        ratio = paired_ratio(results["gated proxy"], results["ungated proxy"])
        versus_nginx = paired_ratio(results["gated proxy"], results["nginx proxy"])
        ungated_nginx = paired_ratio(results["ungated proxy"], results["nginx proxy"])
        met = "met" if ratio >= TARGETS[path] else "NOT met"
        # Server CPU per request, ungated over gated: the req/s ratio with a core to itself, and much
        # steadier than req/s when other work shares the machine.
        cpu_ratio = median(results["ungated proxy"], "server_cpu_us") / median(
            results["gated proxy"], "server_cpu_us"
        )
        verdicts.append(
            f"{label}: gated/ungated {ratio:.3f} (target >= {TARGETS[path]}, {met}; CPU ratio {cpu_ratio:.3f}); "
            f"gated/nginx proxy {versus_nginx:.3f}; ungated/nginx proxy {ungated_nginx:.3f}"
        )
        saturated[path] = median(results["gated proxy"])

    # Latency at half the gated proxy's saturated rate, both proxies under the same paced load.
    connections = 8
    for path in (PAGE_PATH, JSON_PATH):
        rate = saturated[path] / 2
        script = _paced_script(tmp, connections * 1000 / rate)
        log(f"{path}: paced at about {rate:,.0f} req/s")
        paced = alternate(
            {
                name: _paced(url + path, args.duration, connections, server, script)
                for name, (url, server) in targets.items()
                if name in ("gated proxy", "ungated proxy")
            },
            rounds=args.rounds,
            progress=log,
        )
        p99 = {name: median(runs, "latency_p99_ms") for name, runs in paced.items()}
        print_table(
            f"{path} at half the gated proxy's saturated rate ({rate:,.0f} req/s offered, {connections} connections)",
            ["variant", "req/s", "p50 ms", "p90 ms", "p99 ms"],
            [
                [
                    name,
                    f"{median(runs):,.0f}",
                    f"{median(runs, 'latency_p50_ms'):.2f}",
                    f"{median(runs, 'latency_p90_ms'):.2f}",
                    f"{median(runs, 'latency_p99_ms'):.2f}",
                ]
                for name, runs in paced.items()
            ],
        )
        gap = p99["gated proxy"] - p99["ungated proxy"]
        met = "met" if gap <= TARGET_P99_MS else "NOT met"
        verdicts.append(
            f"{path} p99 at half rate: gated - ungated = {gap:+.2f} ms (target <= {TARGET_P99_MS} ms, {met})"
        )
    for line in verdicts:
        print("target: " + line)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench_proxy: error: {exc}", file=sys.stderr)
        sys.exit(1)
