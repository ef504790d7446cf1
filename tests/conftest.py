"""Shared fixtures: a small site behind the gate, reached through real HTTP (httpx ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from consentgate import ConsentMiddleware
from consentgate.webhooks.signing import new_secret
from tests.support.receiver import Receiver
from tests.support.site import SECRET, GateFactory, client_for, site_app


@pytest.fixture
def make_gate(tmp_path: Path) -> GateFactory:
    """Build a gate around :func:`site_app` with a SQLite ledger in ``tmp_path``."""

    def factory(app: Any = None, **kwargs: Any) -> ConsentMiddleware:
        kwargs.setdefault("secret_key", SECRET)
        kwargs.setdefault("database", f"sqlite:///{tmp_path / 'consentgate.db'}")
        return ConsentMiddleware(app or site_app(), **kwargs)

    return factory


@pytest.fixture
async def gate(make_gate: GateFactory) -> AsyncIterator[ConsentMiddleware]:
    gate = make_gate()
    yield gate
    await gate.aclose()


@pytest.fixture
async def client(gate: ConsentMiddleware) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(gate) as c:
        yield c


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real webhook receiver on 127.0.0.1 that verifies signatures (tests/support/receiver.py)."""
    r = Receiver(new_secret()).start()
    yield r
    r.stop()
