"""Strict JSON input through real HTTP: depth, duplicate keys, a body that never finishes.

Every route that reads JSON goes through ``web.json.read_json``; the consent route (no key needed)
and an API route (with a key) stand for all of them.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from tests.support.api import API, bearer, make_key
from tests.support.site import ORIGIN, GateFactory, client_for, free_port

DEEP = b'{"action": ' + b"[" * 5000 + b"]" * 5000 + b"}"
TWICE = b'{"action": "reject_all", "action": "accept_all"}'


def _assert_bad_json(response: httpx.Response, words: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == "bad_json"
    assert words in body["detail"]


@pytest.mark.parametrize(("raw", "words"), [(DEEP, "nested"), (TWICE, "'action' appears twice")])
async def test_the_consent_route_refuses_deep_or_doubled_json(
    make_gate: GateFactory, raw: bytes, words: str
) -> None:
    gate = make_gate()
    try:
        async with client_for(gate) as client:
            headers = {"origin": ORIGIN, "content-type": "application/json"}
            _assert_bad_json(await client.post("/consentgate/consent", content=raw, headers=headers), words)
            # Nothing was recorded: the visitor is still undecided.
            assert (await client.get("/consentgate/consent")).json()["decided"] is False
            # Brackets inside strings are text, not depth; a few levels are fine.
            fine = b'{"categories": {"analytics": true}, "language": "en"}'
            assert (
                await client.post("/consentgate/consent", content=fine, headers=headers)
            ).status_code == 200
    finally:
        await gate.aclose()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b'{"subjects": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested"),
        (b'{"subjects": ["a"], "subjects": ["b"]}', "'subjects' appears twice"),
    ],
)
async def test_the_api_refuses_deep_or_doubled_json(make_gate: GateFactory, raw: bytes, words: str) -> None:
    gate = make_gate()
    try:
        key = await make_key(gate, "read")
        async with client_for(gate) as client:
            headers = {**bearer(key), "content-type": "application/json"}
            _assert_bad_json(await client.post(f"{API}/subjects", content=raw, headers=headers), words)
    finally:
        await gate.aclose()


# --- a body that trickles in: a real server, a raw socket ------------------------------------------


@contextmanager
def _serve(app: Any) -> Iterator[int]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def _trickle(port: int, body: bytes, every: float, limit: float) -> tuple[bytes, float]:
    """Send a POST whose body comes one byte per ``every`` seconds; the answer and when it came."""
    head = (
        f"POST /consentgate/consent HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Origin: http://127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        sock.sendall(head)
        sock.settimeout(every)
        for byte in body:
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                sock.sendall(bytes([byte]))
                continue
            return _rest(sock, answer, limit), time.monotonic() - started
        sock.settimeout(limit)
        return _rest(sock, sock.recv(65536), limit), time.monotonic() - started


def _rest(sock: socket.socket, answer: bytes, limit: float) -> bytes:
    """``answer`` read on to the end of its JSON body."""
    sock.settimeout(limit)
    while answer and not answer.rstrip().endswith(b"}"):
        more = sock.recv(65536)
        if not more:
            break
        answer += more
    return answer


def test_a_trickled_body_is_answered_408(make_gate: GateFactory) -> None:
    gate = make_gate(gate={"body_timeout_seconds": 1.0})
    try:
        with _serve(gate) as port:
            answer, took = _trickle(port, b'{"action": "accept_all"}' + b" " * 40, every=0.25, limit=10)
    finally:
        asyncio.run(gate.aclose())
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b'"error":"body_timeout"' in answer
    assert took < 5


def test_the_body_timeout_is_checked_at_start_up(make_gate: GateFactory) -> None:
    with pytest.raises(Exception, match=r"gate\.body_timeout_seconds"):
        make_gate(gate={"body_timeout_seconds": 0})
