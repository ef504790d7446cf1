"""WebSockets through the gated proxy, both ends real: a Starlette WebSocket origin on uvicorn, the
gated proxy on uvicorn, and the ``websockets`` client as the visitor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from consentgate import ConsentMiddleware, ProxyApp
from tests.proxy.conftest import SECRET, free_port, uvicorn_thread


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="chat.v1" if "chat.v1" in websocket.scope["subprotocols"] else None)
    await websocket.send_text(json.dumps(dict(websocket.headers)))
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "bye":
            await websocket.close(code=4001)
            return
        if message.get("bytes") is not None:
            await websocket.send_bytes(message["bytes"][::-1])
        else:
            await websocket.send_text(message["text"].upper())


def _origin() -> Starlette:
    return Starlette(routes=[WebSocketRoute("/ws/echo", _echo)])


@pytest.fixture(scope="module")
def gated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.db'}"
    with uvicorn_thread(_origin()) as origin:
        app = ConsentMiddleware(ProxyApp(upstream=origin), secret_key=SECRET, database=database)
        with uvicorn_thread(app) as url:
            yield "ws" + url.removeprefix("http")


async def test_messages_cross_both_ways_with_the_subprotocol(gated_url: str) -> None:
    async with connect(gated_url + "/ws/echo?room=1", subprotocols=["chat.v1"]) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == "chat.v1"
        seen = json.loads(await socket.recv())
        await socket.send("hello")
        assert await socket.recv() == "HELLO"
        await socket.send(b"\x01\x02\x03")
        assert await socket.recv() == b"\x03\x02\x01"
        await socket.send("bye")
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001  # the origin's close code
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["via"] == "1.1 consentgate"
    assert "sec-websocket-key" in seen  # the proxy's own handshake with the origin


async def test_a_refused_or_missing_origin_is_an_http_error(gated_url: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(gated_url + "/ws/nowhere"):
            pass
    assert refused.value.response.status_code == 403  # the origin's own answer
    dead = f"http://127.0.0.1:{free_port()}"
    app = ConsentMiddleware(
        ProxyApp(upstream=dead), secret_key=SECRET, database=f"sqlite:///{tmp_path / 'l.db'}"
    )
    with uvicorn_thread(app) as url, pytest.raises(InvalidStatus) as unreachable:
        async with connect("ws" + url.removeprefix("http") + "/ws/echo"):
            pass
    assert unreachable.value.response.status_code == 502
