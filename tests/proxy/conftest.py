"""Real origins on 127.0.0.1 for the proxy tests, and the gated proxy in front of them.

- a Node.js ``http`` server (``origin.js``: echo, cookies, redirects, SSE, big bodies, cuts, hangs);
- Debian's nginx serving ``examples/static_site/`` (a config written to a temporary folder, run in
  the foreground on a free port: no system service);
- a Starlette app on uvicorn (compressed pages);
- ``consentgate proxy`` itself as a process, for what needs a real server in front (streaming,
  closed connections, memory).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consentgate import ConsentMiddleware, ProxyApp

ROOT = Path(__file__).resolve().parents[2]
STATIC_SITE = ROOT / "examples" / "static_site"
ORIGIN_JS = Path(__file__).with_name("origin.js")
SECRET = "proxy-test-secret-0123456789abcdef"
TRACKED_PAGE = (
    "<!doctype html><html><head><title>py</title>"
    '<script async src="https://www.googletagmanager.com/gtag/js?id=G-PYTHON1"></script>'
    "</head><body><p>compressed page</p></body></html>"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_port(port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def node_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``origin.js`` on a free port: (its URL, its process)."""
    node = shutil.which("node")
    assert node is not None, "node is not installed (the proxy tests need a Node.js origin)"
    process = subprocess.Popen([node, str(ORIGIN_JS)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().decode().strip())
        yield f"http://127.0.0.1:{port}", process
    finally:
        _stop(process)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def node_origin() -> Iterator[str]:
    with node_server() as (url, _):
        yield url


_NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  gzip on;
  gzip_types text/css application/javascript;
  gzip_min_length 256;
  gzip_proxied any;  # our requests carry Via: without this nginx never compresses them
  server {{
    listen 127.0.0.1:{port};
    root {root};
    index index.html;
  }}
}}
"""


@contextmanager
def nginx_server(tmp: Path, root: Path = STATIC_SITE) -> Iterator[str]:
    """Debian's nginx serving ``root`` in the foreground on a free port; its URL."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    assert nginx is not None, "nginx is not installed; scripts/test installs it (apt-get install nginx)"
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(_NGINX_CONF.format(tmp=tmp, port=port, root=root))
    process = subprocess.Popen(
        [nginx, "-e", str(tmp / "error.log"), "-p", str(tmp), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture(scope="module")
def nginx_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with nginx_server(tmp_path_factory.mktemp("nginx")) as url:
        yield url


def _python_origin() -> Starlette:
    page = TRACKED_PAGE.encode()

    async def gzipped(request: Request) -> Response:
        return Response(
            gzip.compress(page),
            media_type="text/html",
            headers={"content-encoding": "gzip", "vary": "accept-encoding"},
        )

    async def brotlied(request: Request) -> Response:
        return Response(brotli.compress(page), media_type="text/html", headers={"content-encoding": "br"})

    async def echo(request: Request) -> Response:
        return JSONResponse({"headers": [[k, v] for k, v in request.headers.items()]})

    return Starlette(routes=[Route("/gzip", gzipped), Route("/br", brotlied), Route("/echo", echo)])


@contextmanager
def uvicorn_thread(app: Any) -> Iterator[str]:
    """``app`` on uvicorn in a thread of this process, on a free port; its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def python_origin() -> Iterator[str]:
    with uvicorn_thread(_python_origin()) as url:
        yield url


GatedClient = Callable[..., Any]


@pytest.fixture
def gated(tmp_path: Path) -> GatedClient:
    """``gated(upstream, **proxy_keys)``: an async context giving an httpx client for the gated proxy."""

    @asynccontextmanager
    async def open_client(
        upstream: str,
        *,
        public: str = "http://www.example.test",
        gate: dict[str, Any] | None = None,
        **proxy: Any,
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = ProxyApp(upstream=upstream, **proxy)
        middleware = ConsentMiddleware(
            app, secret_key=SECRET, database=f"sqlite:///{tmp_path / 'ledger.db'}", **(gate or {})
        )
        transport = httpx.ASGITransport(middleware)
        try:
            async with httpx.AsyncClient(transport=transport, base_url=public) as client:
                yield client
        finally:
            await app.aclose()
            await middleware.aclose()

    return open_client


@dataclass
class ProxyProcess:
    """``consentgate proxy`` running: its URL and process."""

    url: str
    process: subprocess.Popen[bytes]

    log: Path

    def log_text(self) -> str:
        """What the process has written to stderr so far (its log lines)."""
        return self.log.read_text(errors="replace")

    def rss_kib(self, field: str = "VmRSS") -> int:
        """A memory figure of the process from /proc (VmRSS now, VmHWM its peak), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"{field} not in /proc/{self.process.pid}/status")


@contextmanager
def proxy_process(upstream: str, tmp: Path, config: str = "", *extra: str) -> Iterator[ProxyProcess]:
    """``python -m consentgate.cli proxy --upstream …`` on a free port until the block ends."""
    port = free_port()
    toml = tmp / "consentgate.toml"
    toml.write_text(f'database = "sqlite:///{tmp / "ledger.db"}"\n' + config)
    env = {**os.environ, "CONSENTGATE_SECRET_KEY": SECRET, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "consentgate.cli", "proxy", "--upstream", upstream,
        "--listen", f"127.0.0.1:{port}", "--config", str(toml), *extra,
    ]  # fmt: skip
    log = tmp / "proxy-stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # several workers on a loaded machine take a while
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"consentgate proxy exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(url + "/consentgate/consent", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("consentgate proxy did not answer in 90 s")
            time.sleep(0.1)
        yield ProxyProcess(url, process, log)
    finally:
        _stop(process)


def hits(node_url: str) -> dict[str, int]:
    """How many requests the Node origin has had, by path."""
    result: dict[str, int] = json.loads(httpx.get(node_url + "/hits").text)
    return result
