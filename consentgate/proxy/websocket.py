"""WebSocket connections, relayed to the origin with the ``websockets`` library.

An ASGI ``websocket`` scope opens a WebSocket to the origin (the same path and query, the
visitor's headers but the hop-by-hop and handshake ones, the forwarding headers and ``Via`` of an
HTTP request, the subprotocols the visitor offered), then accepts the visitor with the subprotocol the
origin chose and relays messages both ways until either side closes; the close code crosses over.
The origin's ``Host`` is the upstream URL's own (the library writes it). If the origin refuses the
handshake, the visitor gets its status (502 when the origin cannot be reached, 504 when it is too
slow) where the server has the ``websocket.http.response`` extension, else a close.

Without the optional ``websockets`` package (``pip install 'consentgate[proxy]'``), and for an upgrade
that reaches the app as a plain HTTP request (a server without a WebSocket library), the answer is
``501 Not Implemented`` with a sentence that says so.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.types import Receive, Scope, Send

from .failures import log
from .headers import Forwarding

try:  # optional: pip install 'consentgate[proxy]'
    from websockets.asyncio.client import ClientConnection, connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

    _AVAILABLE = True
except ImportError:  # pragma: no cover - the dev environment has it
    _AVAILABLE = False

__all__ = ["refuse_upgrade", "relay_websocket", "wants_upgrade"]

_DETAIL = (
    b"consentgate proxy: this server cannot forward WebSocket or other protocol upgrades; install "
    b"'consentgate[proxy]' (the websockets package) or route this path to the origin in front of the gate.\n"
)
_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_DETAIL)).encode()),
    (b"cache-control", b"no-store"),
]
#: The largest message taken from the origin (uvicorn's default limit for the visitor's side).
_MAX_MESSAGE = 16 * 1024 * 1024
#: Handshake headers the library writes for its own connection to the origin.
_HANDSHAKE = frozenset(
    {
        b"host",
        b"sec-websocket-key",
        b"sec-websocket-version",
        b"sec-websocket-extensions",
        b"sec-websocket-protocol",
    }
)


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
    """Answer an upgrade that reached the app as an HTTP request with 501."""
    await send({"type": "http.response.start", "status": 501, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _DETAIL, "more_body": False})


async def _refuse(scope: Scope, send: Send, status: int, body: bytes) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body, "more_body": False})
    else:
        await send({"type": "websocket.close", "code": 1011})


async def relay_websocket(
    scope: Scope, receive: Receive, send: Send, *, upstream: str, forwarding: Forwarding, open_timeout: float
) -> None:
    """Relay one WebSocket between the visitor and the origin at ``upstream`` (an http(s) URL)."""
    if (await receive())["type"] != "websocket.connect":
        return
    if not _AVAILABLE:  # pragma: no cover - without the optional package
        await _refuse(scope, send, 501, _DETAIL)
        return
    headers, _ = forwarding.request_headers(scope)
    extra = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers if n not in _HANDSHAKE]
    path: str = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
    query: bytes = scope.get("query_string", b"")
    url = "ws" + upstream[4:].rstrip("/") + path + ("?" + query.decode("latin-1") if query else "")
    subprotocols: list[Any] = list(scope.get("subprotocols") or ())
    try:
        origin = await connect(
            url,
            additional_headers=extra,
            subprotocols=subprotocols or None,
            open_timeout=open_timeout,
            user_agent_header=None,
            compression=None,
            proxy=None,
            max_size=_MAX_MESSAGE,
        )
    except InvalidStatus as exc:
        await _refuse(scope, send, exc.response.status_code, bytes(exc.response.body or b""))
        return
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        status = 504 if isinstance(exc, TimeoutError) else 502
        log.warning(
            "consentgate proxy: upstream %s refused a WebSocket (%s): %s; answered %d",
            upstream,
            path,
            exc,
            status,
        )
        await _refuse(scope, send, status, b"The site cannot be reached right now; try again shortly.\n")
        return
    await send({"type": "websocket.accept", "subprotocol": origin.subprotocol})
    await _relay(origin, receive, send)


async def _relay(origin: ClientConnection, receive: Receive, send: Send) -> None:
    async def to_origin() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                await origin.close(message.get("code", 1000))
                return
            if message.get("bytes") is not None:
                await origin.send(message["bytes"])
            elif message.get("text") is not None:
                await origin.send(message["text"])

    async def to_visitor() -> None:
        try:
            async for data in origin:
                if isinstance(data, bytes):
                    await send({"type": "websocket.send", "bytes": data})
                else:
                    await send({"type": "websocket.send", "text": data})
        except ConnectionClosed:
            pass
        code = origin.close_code or 1000
        await send({"type": "websocket.close", "code": 1000 if code in (1005, 1006) else code})

    tasks = [asyncio.ensure_future(to_origin()), asyncio.ensure_future(to_visitor())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed, OSError, RuntimeError):
                await task
        await origin.close()
