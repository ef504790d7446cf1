"""Run :mod:`tests.ledger_gate_app` in a real uvicorn process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class GateProcess:
    """A running gate: its base URL and its process."""

    url: str
    process: subprocess.Popen[bytes]

    @property
    def origin_headers(self) -> dict[str, str]:
        """The headers a same-origin banner request carries."""
        return {"origin": self.url, "content-type": "application/json"}


def cookieless_client(**kwargs: Any) -> httpx.AsyncClient:
    """An HTTP client that keeps no cookies: each request says who it is in its own headers."""
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(cookies=jar, **kwargs)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gate_process(database: str, *, timeout: float = 30.0) -> Iterator[GateProcess]:
    """Serve the test gate on ``database`` until the block ends (then stop it, if still alive)."""
    port = _free_port()
    env = {**os.environ, "CG_DATABASE": database, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "uvicorn", "tests.support.ledger_gate_app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url, timeout)
        yield GateProcess(url, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"the gate exited with code {process.returncode} before serving:\n{err}")
        try:
            if httpx.get(url + "/", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the gate did not answer {url} within {timeout:.0f} s")
