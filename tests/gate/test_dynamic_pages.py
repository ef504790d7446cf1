"""Pages that change on every request, through the real gate: what the memory of segments answers
never carries one response's values into another.

The app renders the benchmark's dynamic page (a fresh CSRF token, a CSP nonce in the header and on
every script, fresh page data in an inline ``dataLayer.push``) and records what it rendered; each
gated response must hold exactly those values, its scripts that response's nonce, and, with the
values taken out, be the same bytes as every other response.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from consentgate import ConsentMiddleware

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _dynamic_pages import DynamicPage, Rendered, csp

SCRIPT_NONCE = re.compile(rb'<script\b[^>]*?\snonce="([^"]*)"')


def _site(rendered: list[Rendered]) -> Starlette:
    page = DynamicPage(20 * 1024)

    async def serve(request: Request) -> Response:
        out = page.render()
        rendered.append(out)
        return HTMLResponse(out.html, headers={"content-security-policy": csp(out.nonce)})

    return Starlette(routes=[Route("/", serve)])


@pytest.mark.parametrize("mode", ["uniform", "per_visitor"])
async def test_each_response_carries_its_own_values_only(mode: str, tmp_path: Path) -> None:
    rendered: list[Rendered] = []
    gate = ConsentMiddleware(
        _site(rendered), secret_key="k" * 32, database=f"sqlite:///{tmp_path}/ledger.db", mode=mode
    )
    transport = httpx.ASGITransport(app=gate)
    shapes = set()
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for _ in range(40):
            body = (await client.get("/")).content
            out = rendered[-1]
            nonces = SCRIPT_NONCE.findall(body)
            assert len(nonces) >= 14 and set(nonces) == {out.nonce.encode()}
            for value in (out.nonce, out.csrf, out.request_id):
                assert value.encode() in body
            assert b'type="text/plain" data-cg-category=' in body  # the vendors' tags are inert
            shape = body
            for value in (out.nonce, out.csrf, out.request_id):
                shape = shape.replace(value.encode(), b"<fresh>")
            shape = re.sub(rb'"renderedAt": \d+', b'"renderedAt": 0', shape)
            shapes.add(shape)
    assert len(shapes) == 1
