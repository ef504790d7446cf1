"""A gate called as a raw ASGI app: the messages it sends, exactly as sent (no HTTP client in
between to normalise headers or join bodies)."""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from tests.support.site import ORIGIN, client_for


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


Headers = list[tuple[bytes, bytes]]


def body_app(body: bytes, headers: Headers, *, pieces: int = 1) -> Any:
    """An app that answers every request with ``headers`` and ``body``, sent in ``pieces`` parts
    of (nearly) equal size, as a server streams it."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        size = max(1, -(-len(body) // pieces))
        parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        for i, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < len(parts) - 1})

    return app


async def get_after_choice(gate: ClosingApp, choice: dict[str, Any] | None = None) -> httpx.Response:
    """``GET /`` through ``gate`` over real HTTP (httpx's ASGI transport), after posting ``choice``
    to the consent endpoint when one is given; the body is read and the gate closed."""
    try:
        async with client_for(gate) as client:
            if choice is not None:
                chosen = await client.post("/consentgate/consent", json=choice, headers={"origin": ORIGIN})
                assert chosen.status_code == 200, chosen.text
            response = await client.get("/")
            await response.aread()
            return response
    finally:
        await gate.aclose()
