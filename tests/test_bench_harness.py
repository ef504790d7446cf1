"""The benchmark harness (bench/_harness.py): wrk's report parsed, a real uvicorn + wrk run."""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from _harness import (
    BenchError,
    WrkResult,
    alternate,
    parse_wrk,
    process_cpu_seconds,
    run_wrk,
    uvicorn_server,
)

WRK_REPORT = """\
Running 2s test @ http://127.0.0.1:40001/api/status
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.12ms  812.33us  21.50ms   91.02%
    Req/Sec     7.80k   310.12     8.20k    80.00%
  Latency Distribution
     50%    3.98ms
     75%    4.30ms
     90%    4.71ms
     99%    1.02s
  15523 requests in 2.00s, 2.84MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   7761.37
Transfer/sec:      1.42MB
"""


def test_parse_wrk_reads_rate_count_errors_and_percentiles() -> None:
    result = parse_wrk(WRK_REPORT)
    assert result.requests_per_sec == pytest.approx(7761.37)
    assert result.requests == 15523
    assert result.errors == 7
    assert result.latency_p50_ms == pytest.approx(3.98)
    assert result.latency_p90_ms == pytest.approx(4.71)
    assert result.latency_p99_ms == pytest.approx(1020.0)


def test_parse_wrk_without_latency_section_gives_nan() -> None:
    report = "  10 requests in 1.00s, 1KB read\nRequests/sec:     10.00\n"
    result = parse_wrk(report)
    assert result.requests == 10
    assert result.errors == 0
    assert math.isnan(result.latency_p50_ms)


def test_parse_wrk_refuses_garbage() -> None:
    with pytest.raises(BenchError):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_process_cpu_seconds_grows_with_work() -> None:
    before = process_cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    assert process_cpu_seconds(os.getpid()) > before


def test_alternate_flips_the_order_and_refuses_failed_runs() -> None:
    order: list[str] = []

    def variant(name: str, errors: int = 0) -> WrkResult:
        order.append(name)
        return WrkResult(100.0, 100, errors, 1.0, 2.0, 3.0)

    results = alternate({"a": lambda: variant("a"), "b": lambda: variant("b")}, rounds=3)
    assert order == ["a", "b", "b", "a", "a", "b"]
    assert [len(runs) for runs in results.values()] == [3, 3]
    with pytest.raises(BenchError, match="b: 5 of 100 requests failed"):
        alternate({"a": lambda: variant("a"), "b": lambda: variant("b", errors=5)}, rounds=1)


@pytest.mark.skipif(
    shutil.which("wrk") is None and os.environ.get("CI") != "true", reason="wrk is not installed"
)
def test_uvicorn_server_and_wrk_measure_a_real_app() -> None:
    with uvicorn_server("bench_http:bare_app", ready_path="/api/status") as server:
        result = run_wrk(server.url + "/api/status", duration=1, connections=4, server=server)
    assert result.requests > 0
    assert result.errors == 0
    assert result.server_cpu_us > 0
    assert server.process.returncode is not None


def test_uvicorn_server_reports_an_app_that_does_not_start() -> None:
    with pytest.raises(BenchError, match="exited"), uvicorn_server("no_such_module:app", timeout=30):
        pass
