"""``consentgate proxy`` as a real process in front of the Node.js origin: streaming both ways in
bounded memory, server-sent events live, a cut response closing the connection, the command's errors.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from consentgate.cli.main import main
from consentgate.cli.proxy import CONFIG_ENV, SECRET_ENV, UPSTREAM_ENV
from tests.proxy.conftest import ProxyProcess, free_port, hits, proxy_process

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def proxy(node_origin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    """One ``consentgate proxy`` process in front of the Node.js origin for this module's tests."""
    with proxy_process(node_origin, tmp_path_factory.mktemp("proxy")) as running:
        yield running


def test_sse_events_arrive_one_by_one(proxy: ProxyProcess) -> None:
    with httpx.stream("GET", proxy.url + "/sse", timeout=10) as response:
        assert response.headers["content-type"] == "text/event-stream"
        arrivals = [(time.monotonic(), line) for line in response.iter_lines() if line.startswith("data:")]
    assert [line for _, line in arrivals] == ["data: event 1", "data: event 2", "data: event 3"]
    # The origin sends one every 0.4 s: they reached the visitor as they were sent, not all at the end
    # (a buffering proxy delivers the three at once; the margin is for a loaded machine).
    assert arrivals[2][0] - arrivals[0][0] > 0.4


def test_a_big_upload_and_download_stream_in_bounded_memory(proxy: ProxyProcess) -> None:
    upload, download = 50 * MIB, 200 * MIB

    def body() -> Iterator[bytes]:
        block = b"u" * (256 * 1024)
        for _ in range(upload // len(block)):
            yield block

    with httpx.Client(base_url=proxy.url, timeout=60) as client:
        client.get("/consentgate/consent")  # warm: every module imported, the store open
        client.post("/echo", content=b"w" * 100_000)
        client.get("/download?bytes=1000000").read()
        before = proxy.rss_kib()
        Path(f"/proc/{proxy.process.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS now
        sent = client.post("/echo", content=body(), headers={"content-length": str(upload)})
        assert sent.json()["bodyBytes"] == upload
        received = 0
        with client.stream("GET", f"/download?bytes={download}") as response:
            assert response.headers["content-length"] == str(download)
            for chunk in response.iter_raw():
                received += len(chunk)
        assert received == download
        peak = proxy.rss_kib("VmHWM")
    growth_mib = (peak - before) / 1024
    assert growth_mib < 32, f"the proxy's RSS grew by {growth_mib:.1f} MiB"


def test_a_visitor_who_leaves_releases_the_origin(proxy: ProxyProcess, node_origin: str) -> None:
    before = hits(node_origin).get("/download:aborted", 0)
    with (
        httpx.Client(base_url=proxy.url, timeout=10) as client,
        client.stream("GET", f"/download?bytes={2000 * MIB}") as response,
    ):
        for chunk in response.iter_raw():
            if chunk:
                break  # the visitor goes away after the first bytes of 2 GB
    deadline = time.monotonic() + 10
    while hits(node_origin).get("/download:aborted", 0) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    # The proxy dropped its connection to the origin at once instead of reading the 2 GB to the end.
    assert hits(node_origin).get("/download:aborted", 0) == before + 1


def test_a_response_cut_by_the_origin_closes_the_connection(proxy: ProxyProcess, node_origin: str) -> None:
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        for path in ("/cut", "/cut-page"):
            with client.stream("GET", path) as response:
                assert response.status_code == 200
                with pytest.raises(httpx.RemoteProtocolError):
                    response.read()  # the body ends before its length (or its last chunk): an error
        assert client.get("/consentgate/consent").status_code == 200  # the proxy itself is fine
    deadline = time.monotonic() + 5
    while "/cut-page" not in proxy.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    text = proxy.log_text()
    assert f"upstream {node_origin} broke off the response (GET /cut); connection closed" in text
    assert "/cut-page" in text
    assert "Traceback" not in text


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str]]:
    """Run ``consentgate proxy ARGS`` in this process up to serving: (exit code, stderr)."""
    for name in (SECRET_ENV, CONFIG_ENV, UPSTREAM_ENV):
        monkeypatch.setenv(name, "k" * 32 if name == SECRET_ENV else "")

    def run(*args: str) -> tuple[int, str]:
        code = main(["proxy", *args])
        return code, capsys.readouterr().err

    return run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream", "ftp://example.org"], "'--upstream' is 'ftp://example.org'"),
        (["--upstream", "http://127.0.0.1:99999"], "not a URL"),
        (
            ["--upstream", "http://127.0.0.1:8080", "--listen", "localhost"],
            "--listen 'localhost' is not HOST:PORT",
        ),
        (["--upstream", "http://127.0.0.1:8080", "--listen", "127.0.0.1:70000"], "port 1-65535"),
        (["--upstream", "http://127.0.0.1:8080", "--workers", "0"], "--workers 0"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    cli: Callable[..., tuple[int, str]], args: list[str], message: str
) -> None:
    code, err = cli(*args)
    assert code == 2, err
    assert message in err
    assert err.count("\n") == 1 and err.startswith("consentgate: error: ")


def test_no_upstream_and_a_busy_port_are_one_line_and_exit_1(
    cli: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    code, err = cli("--config", str(tmp_path / "none.toml"))
    assert code == 1 and "does not exist" in err
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    code, err = cli("--config", str(empty))
    assert code == 1 and "no upstream" in err
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        code, err = cli(
            "--config", str(empty), "--upstream", "http://127.0.0.1:8080", "--listen", f"127.0.0.1:{port}"
        )
    assert code == 1 and f"cannot listen on 127.0.0.1:{port}" in err


def test_several_workers_serve_the_gated_site(node_origin: str, tmp_path: Path) -> None:
    with proxy_process(node_origin, tmp_path, "", "--workers", "2") as proxy:
        for _ in range(10):
            response = httpx.get(proxy.url + "/cookies", timeout=10)
            assert response.status_code == 200
            assert "data-cg-src" in response.text
        children = subprocess.run(
            ["ps", "--ppid", str(proxy.process.pid), "-o", "pid="], capture_output=True, text=True
        )
        pids = {line.strip() for line in children.stdout.splitlines() if line.strip()}
        assert len(pids) >= 2
