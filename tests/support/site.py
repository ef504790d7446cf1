"""A small site behind the gate and its HTTP client (httpx ASGITransport); free loopback ports."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from consentgate import ConsentMiddleware

SECRET = "test-secret-key-0123456789"


ORIGIN = "http://testserver"


POSTGRES_URL = os.environ.get("CONSENTGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


async def _whoami(request: Request) -> Response:
    consent = request.scope["consent"]
    return JSONResponse({"allows": {c: consent.allows(c) for c in consent.categories}, **consent.to_json()})


async def _page(request: Request) -> Response:
    return HTMLResponse("<!doctype html><html><head><title>t</title></head><body><p>hello</p></body></html>")


def site_app() -> Starlette:
    """A tiny site: ``/whoami`` answers the consent the app sees, ``/`` an HTML page."""
    return Starlette(routes=[Route("/whoami", _whoami), Route("/", _page)])


GateFactory = Callable[..., ConsentMiddleware]


def client_for(app: Any, **kwargs: Any) -> httpx.AsyncClient:
    kwargs.setdefault("base_url", ORIGIN)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
