"""Shared helpers for the HTTP benchmarks: uvicorn in a subprocess, wrk against it, tables.

A benchmark serves each variant of an app in its own uvicorn process on a free loopback port
(:func:`uvicorn_server`), drives it with ``wrk`` from another process (:func:`run_wrk`), and
alternates the variants round by round in one run (:func:`alternate`) so drift of the machine
(other load, CPU frequency) falls on every variant alike. :func:`print_table` prints the result.

    with uvicorn_server("bench_http:bare_app", app_dir=BENCH_DIR) as bare, \\
         uvicorn_server("bench_http:gated_app", app_dir=BENCH_DIR) as gated:
        results = alternate({"bare": lambda: run_wrk(bare.url + "/x"),
                             "gated": lambda: run_wrk(gated.url + "/x")}, rounds=3)
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = [
    "BENCH_DIR",
    "POSTGRES",
    "ROOT",
    "BenchError",
    "Server",
    "WrkResult",
    "alternate",
    "free_port",
    "fresh_database",
    "median",
    "parse_wrk",
    "pin_to",
    "print_table",
    "process_cpu_seconds",
    "run_wrk",
    "uvicorn_server",
]

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


class BenchError(RuntimeError):
    """A benchmark could not measure (server did not start, wrk missing or failing, HTTP errors)."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One wrk run."""

    requests_per_sec: float
    requests: int
    #: Socket errors (connect, read, write, timeout) plus responses that were not 2xx or 3xx.
    errors: int
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    #: CPU time (user + system) the server process spent per request during the run, in
    #: microseconds; NaN when unknown. Less sensitive than req/s to other load on the machine.
    server_cpu_us: float = float("nan")


@dataclass(frozen=True, slots=True)
class Server:
    """A running uvicorn subprocess."""

    url: str
    process: subprocess.Popen[bytes]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def uvicorn_server(
    app: str,
    *,
    factory: bool = True,
    app_dir: Path | None = BENCH_DIR,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/",
    timeout: float = 30.0,
) -> Iterator[Server]:
    """Serve ``app`` (``module:attr``) with uvicorn, one worker, no access log, until the block ends.

    ``app`` is imported from ``app_dir`` (default: ``bench/``), with the repository root on the path.
    Waits until ``ready_path`` answers (any status below 500) so the first measured request does not
    race the start-up. ``env`` is added to the current environment of the subprocess.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    if factory:
        command.append("--factory")
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    child_env = {**os.environ, "PYTHONPATH": _pythonpath(), **(env or {})}
    process = subprocess.Popen(
        command,
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=pin_to(SERVER_CPU),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url + ready_path, timeout)
        yield Server(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _pythonpath() -> str:
    # The repository root first, so a benchmark may import consentgate, bench helpers and tests.
    parts = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise BenchError(f"uvicorn exited with code {process.returncode} before serving {url}:\n{err}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise BenchError(f"uvicorn did not answer {url} within {timeout:.0f} s")


def run_wrk(
    url: str,
    *,
    duration: float = 5.0,
    threads: int = 1,
    connections: int = 32,
    headers: Mapping[str, str] | None = None,
    timeout: str = "5s",
    server: Server | None = None,
    script: str | os.PathLike[str] | None = None,
) -> WrkResult:
    """Run ``wrk -t<threads> -c<connections> -d<duration>s --latency`` against ``url``.

    With ``server``, also reports the server process's CPU time per request; ``script`` is a Lua
    script for wrk's ``-s`` (requests that vary).
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed; install it with `apt-get install wrk`.")
    command = [
        wrk, f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", timeout,
    ]  # fmt: skip
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", os.fspath(script)]
    command.append(url)
    cpu_before = process_cpu_seconds(server.process.pid) if server else float("nan")
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
        preexec_fn=pin_to(LOAD_CPU),
    )
    cpu_after = process_cpu_seconds(server.process.pid) if server else float("nan")
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    result = parse_wrk(done.stdout)
    if result.requests and not math.isnan(cpu_after - cpu_before):
        cpu_us = (cpu_after - cpu_before) / result.requests * 1e6
        result = dataclasses.replace(result, server_cpu_us=cpu_us)
    return result


#: The PostgreSQL server the benchmarks use (the test suite's).
POSTGRES = os.environ.get("CONSENTGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_database(backend: str, name: str = "ledger") -> Iterator[str]:
    """A fresh, empty database URL: an SQLite file in a temporary directory, or a new PostgreSQL
    schema (dropped afterwards)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / name}.db"
        return
    import psycopg  # dev extra; only the PostgreSQL variants need it

    schema = "cgbench_" + secrets.token_hex(4)
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


#: On a machine with two or more cores, the server under test and the load generator each get a
#: core of their own, so they do not take turns on one (the largest source of noise on 2 cores).
SERVER_CPU = 1
LOAD_CPU = 0


def pin_to(cpu: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins a child process to ``cpu``; None on a machine with one core."""
    available = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if len(available) < 2 or cpu not in available:
        return None

    def pin() -> None:
        os.sched_setaffinity(0, {cpu})

    return pin


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc), or NaN elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    # Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14, 15.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise BenchError(f"cannot read the wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Read requests/s, the request count, errors and latency percentiles from wrk's report."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    count = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if rps is None or count is None:
        raise BenchError(f"cannot read wrk's report:\n{output}")
    percentiles = {
        int(m.group(1)): _ms(m.group(2))
        for m in re.finditer(r"^\s+(\d+)%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.MULTILINE)
    }
    errors = 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return WrkResult(
        requests_per_sec=float(rps.group(1)),
        requests=int(count.group(1)),
        errors=errors,
        latency_p50_ms=percentiles.get(50, float("nan")),
        latency_p90_ms=percentiles.get(90, float("nan")),
        latency_p99_ms=percentiles.get(99, float("nan")),
    )


def alternate(
    variants: Mapping[str, Callable[[], WrkResult]],
    *,
    rounds: int = 3,
    warmup: Callable[[str], object] | None = None,
    progress: Callable[[str], object] | None = None,
) -> dict[str, list[WrkResult]]:
    """Measure every variant ``rounds`` times, interleaved, and return the runs per variant.

    The order flips each round (A B, B A, A B, ...) so neither variant always runs first after a
    pause. ``warmup(name)`` runs once per variant before the first round (e.g. a short wrk run).
    A run with errors raises :class:`BenchError`: a rate of failing requests measures nothing.
    """
    names = list(variants)
    if warmup is not None:
        for name in names:
            warmup(name)
    results: dict[str, list[WrkResult]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            result = variants[name]()
            if result.errors:
                raise BenchError(f"{name}: {result.errors} of {result.requests} requests failed")
            results[name].append(result)
            if progress is not None:
                progress(f"round {index + 1}/{rounds} {name}: {result.requests_per_sec:,.0f} req/s")
    return results


def median(runs: Sequence[WrkResult], field: str = "requests_per_sec") -> float:
    """The median of one field over several runs."""
    return float(statistics.median(getattr(run, field) for run in runs))


def paired_ratio(runs: Sequence[WrkResult], baseline: Sequence[WrkResult]) -> float:
    """Median over rounds of req/s ratios: round i of a variant ran next to round i of its
    baseline, so each ratio cancels slow drift of the machine (steadier than a ratio of medians)."""
    return float(
        statistics.median(
            r.requests_per_sec / b.requests_per_sec for r, b in zip(runs, baseline, strict=True)
        )
    )


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = (str(c) for c in cells)
        return "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    print(title)
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()
