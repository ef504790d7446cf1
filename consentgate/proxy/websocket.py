"""WebSocket and other protocol upgrades: refused with a clear 501, not forwarded.

The proxy speaks HTTP/1.1 request and response to the origin through httpx, which has no way to
hand over a connection after ``101 Switching Protocols``. An upgrade request is therefore answered
``501 Not Implemented`` with a sentence that says so, whichever way the server hands it over: as an
HTTP request that still carries ``Upgrade`` (a server without a WebSocket library), or as an ASGI
``websocket`` scope (then with the ``websocket.http.response`` extension where the server has it,
else a plain close, which the server answers with 403). A site whose pages need WebSockets routes
that path to the origin in the load balancer in front of the gate (``docs/proxy.md``).
"""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

__all__ = ["refuse_upgrade", "refuse_websocket", "wants_upgrade"]

_DETAIL = (
    b"consentgate proxy: WebSocket and other protocol upgrades are not forwarded; route this path to "
    b"the origin in front of the gate.\n"
)
_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_DETAIL)).encode()),
    (b"cache-control", b"no-store"),
]


def wants_upgrade(scope: Scope) -> bool:
    """Whether an HTTP request asks to switch protocols (``Connection: upgrade`` with ``Upgrade``)."""
    upgrade = connection = False
    for name, value in scope["headers"]:
        if name == b"upgrade":
            upgrade = True
        elif name == b"connection" and b"upgrade" in value.lower():
            connection = True
    return upgrade and connection


async def refuse_upgrade(send: Send) -> None:
    """Answer an HTTP upgrade request with 501."""
    await send({"type": "http.response.start", "status": 501, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _DETAIL, "more_body": False})


async def refuse_websocket(scope: Scope, receive: Receive, send: Send) -> None:
    """Refuse a WebSocket handshake: 501 where the server can send a response, else a close."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if "websocket.http.response" in scope.get("extensions", {}):
        await send({"type": "websocket.http.response.start", "status": 501, "headers": _HEADERS})
        await send({"type": "websocket.http.response.body", "body": _DETAIL, "more_body": False})
    else:
        await send({"type": "websocket.close", "code": 1011})
