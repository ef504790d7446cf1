"""`consentgate demo` on a real uvicorn: its key survives a restart, and HEAD answers like GET everywhere."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from consentgate.cli.demo import SECRET_ENV
from tests.support.site import free_port

#: The types of the documents the gate rewrites (HTML, and XML documents a browser renders).
_REWRITTEN = re.compile(r"text/html|xml|xsl", re.IGNORECASE)
ROUTES = [
    "/",
    "/pricing",
    "/blog",
    "/blog/how-call-tracking-works",
    "/privacy",
    "/contact",
    "/contact?plan=growth",
    "/contact/thanks",
    "/static/site.css",
    "/static/logo.svg",
    "/no-such-page",
    "/consentgate/consent",
    "/consentgate/banner.js",
    "/.well-known/gpc.json",
]


@contextmanager
def _demo(tmp_path: Path, database: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "consentgate.cli",
            "demo",
            "--port",
            str(port),
            "--database",
            f"sqlite:///{database}",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"consentgate demo exited: {process.communicate()[1].decode()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "consentgate demo did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_a_choice_outlives_a_restart_and_head_answers_like_get(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    with _demo(tmp_path, database) as origin, httpx.Client(base_url=origin, timeout=10) as http:
        chosen = http.post("/consentgate/consent", json={"action": "accept_all"}, headers={"origin": origin})
        assert chosen.status_code == 200
        signed = chosen.cookies["consentgate"]
        for path in ROUTES:
            got = http.get(path)
            head = http.head(path)
            assert (head.status_code, path) == (got.status_code, path)
            assert head.content == b"", path
            assert head.headers.get("content-type") == got.headers.get("content-type"), path
            if "content-length" in got.headers:
                # A document the gate rewrites, sent without its body for HEAD (a static file), has
                # no rewritten length to give: HTTP lets a HEAD answer omit a field determined while
                # making the content (RFC 9110, 9.3.2). When it gives one, it is GET's.
                rewritten = _REWRITTEN.search(got.headers.get("content-type", "")) is not None
                if not (rewritten and "content-length" not in head.headers):
                    assert head.headers.get("content-length") == got.headers["content-length"], path
    key_file = tmp_path / "demo.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes()
    with _demo(tmp_path, database) as origin, httpx.Client(base_url=origin, timeout=10) as http:
        state = http.get("/consentgate/consent", headers={"cookie": f"consentgate={signed}"}).json()
        assert state["decided"] is True
        assert state["categories"]["analytics"] is True
    assert key_file.read_bytes() == key
