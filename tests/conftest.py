"""Shared fixtures: a small site behind the gate, reached through real HTTP (httpx ASGITransport)."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
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


@pytest.fixture
def make_gate(tmp_path: Path) -> GateFactory:
    """Build a gate around :func:`site_app` with a SQLite ledger in ``tmp_path``."""

    def factory(app: Any = None, **kwargs: Any) -> ConsentMiddleware:
        kwargs.setdefault("secret_key", SECRET)
        kwargs.setdefault("database", f"sqlite:///{tmp_path / 'consentgate.db'}")
        return ConsentMiddleware(app or site_app(), **kwargs)

    return factory


def client_for(app: Any, **kwargs: Any) -> httpx.AsyncClient:
    kwargs.setdefault("base_url", ORIGIN)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), **kwargs)


@pytest.fixture
async def gate(make_gate: GateFactory) -> AsyncIterator[ConsentMiddleware]:
    gate = make_gate()
    yield gate
    await gate.aclose()


@pytest.fixture
async def client(gate: ConsentMiddleware) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(gate) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def receiver() -> Iterator[Any]:
    """A real webhook receiver on 127.0.0.1 that verifies signatures (tests/test_webhooks_receiver.py)."""
    from consentgate.webhooks.signing import new_secret
    from tests.test_webhooks_receiver import Receiver  # here: that module imports this one

    r = Receiver(new_secret()).start()
    yield r
    r.stop()
