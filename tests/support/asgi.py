"""A gate called as a raw ASGI app: the messages it sends, exactly as sent (no HTTP client in
between to normalise headers or join bodies)."""

from __future__ import annotations

from typing import Any, Protocol


class ClosingApp(Protocol):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None: ...

    async def aclose(self) -> None: ...


async def sent_for_get(gate: ClosingApp, **scope: Any) -> list[dict[str, Any]]:
    """The messages ``gate`` sends for ``GET /`` (``scope`` adds to or replaces the request's
    keys); the gate is closed afterwards."""
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    request = {"type": "http", "method": "GET", "scheme": "http", "path": "/", "headers": [(b"host", b"x")]}
    try:
        await gate({**request, **scope}, receive, send)
    finally:
        await gate.aclose()
    return sent
