"""The dashboard as a browser would use it over real HTTP: keys made like the CLI makes them, sign-in."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx

from consentgate import ConsentMiddleware
from consentgate.api.keys import ApiKey, hash_key, new_key
from tests.support.site import ORIGIN, SECRET, site_app

ADMIN = "/consentgate/admin/"


def make_gate(tmp_path: Path, **overrides: Any) -> ConsentMiddleware:
    """A gate with request logging on (rolled up by hand) and a SQLite ledger in ``tmp_path``."""
    overrides.setdefault("database", f"sqlite:///{tmp_path / 'cg.db'}")
    overrides.setdefault(
        "logging",
        {"enabled": True, "path": str(tmp_path / "logs" / "requests.log"), "rollup_every_minutes": 0},
    )
    return ConsentMiddleware(site_app(), secret_key=SECRET, **overrides)


async def create_key(gate: ConsentMiddleware, scope: str) -> str:
    """A key stored hashed in the gate's own store, as ``consentgate keys create`` stores it."""
    key_id, key = new_key()
    store = await gate.store()
    await store.add_api_key(ApiKey(key_id, f"test-{scope}", scope, time.time()), hash_key(key))
    return key


def client(gate: ConsentMiddleware, address: str = "203.0.113.77") -> httpx.AsyncClient:
    """A client of ``gate`` from ``address`` that keeps cookies, like a browser."""
    transport = httpx.ASGITransport(app=gate, client=(address, 5000))
    return httpx.AsyncClient(transport=transport, base_url=ORIGIN)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def sign_in(c: httpx.AsyncClient, key: str) -> httpx.Response:
    """Open the sign-in form and post ``key`` with its token, from the dashboard's own origin."""
    form = await c.get(ADMIN)
    return await c.post(
        ADMIN + "signin",
        data={"key": key, "csrf": csrf_of(form.text)},
        headers={"origin": ORIGIN},
    )
