"""Deny-by-default through the gate: the rewriter's output for pages with hosts no list knows.

A real site behind the real middleware, over HTTP (httpx ASGITransport); what loads is what the
rewritten page still loads.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from consentgate import ConsentMiddleware
from consentgate.config import load_config
from tests.support.site import SECRET

#: Never gated, in either mode, whatever the visitor chose.
MUST_PASS = [
    "https://js.stripe.com/v3/",
    "https://www.paypal.com/sdk/js?client-id=abc",
    "https://x.klarnacdn.net/kp/lib/v1/api.js",
    "https://www.google.com/recaptcha/api.js",
    "https://js.hcaptcha.com/1/api.js",
    "https://maps.googleapis.com/maps/api/js?key=k",
    "https://fonts.googleapis.com/css2?family=Inter",
    "https://cdn.jsdelivr.net/npm/vue@3/dist/vue.global.js",
    "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js",
    "https://unpkg.com/react@18/umd/react.production.min.js",
    "https://static.shop-cdn.test/app.js",  # the site's own CDN (site.first_party_hosts)
    "https://www.shop.test/js/site.js",  # the request's own host, absolute
    "https://img.shop.test/logo.js",  # www.shop.test brings shop.test's hosts
    "/js/relative.js",
]
UNKNOWN = [
    "https://tracker.no-list-knows.test/t.js",
    "//cdn.unheard-of.test/lib.js",
]
ALLOWED = "https://widgets.partner.test/w.js"


def _page() -> str:
    scripts = "".join(f'<script src="{url}"></script>' for url in [*MUST_PASS, *UNKNOWN, ALLOWED])
    return (
        "<!doctype html><html><head>"
        f'<link rel="preload" as="script" href="https://preload.no-list-knows.test/p.js">{scripts}</head><body>'
        '<iframe src="https://embed.no-list-knows.test/frame"></iframe>'
        '<img src="https://pixel.no-list-knows.test/p.gif" alt="">'
        '<embed src="https://media.no-list-knows.test/m.swf">'
        '<iframe src="https://www.google.com/maps/embed?pb=1"></iframe>'
        '<img src="https://www.shop.test/logo.png" alt=""></body></html>'
    )


async def _html(request: Request) -> Response:
    return HTMLResponse(_page())


def _gate(tmp_path: Path, mode: str) -> ConsentMiddleware:
    config = load_config(
        database=f"sqlite:///{tmp_path / 'cg.db'}",
        blocking={"unknown_third_party": mode, "allow_hosts": ["partner.test"]},
        site={"first_party_hosts": ["shop-cdn.test"]},
    )
    return ConsentMiddleware(Starlette(routes=[Route("/", _html)]), secret_key=SECRET, config=config)


async def _get(gate: ConsentMiddleware, host: str, *, accept_all: bool) -> str:
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
        if accept_all:
            answer = await client.post(
                "/consentgate/consent", json={"action": "accept_all"}, headers={"Origin": f"http://{host}"}
            )
            assert answer.status_code == 200, answer.text
        page = await client.get("/")
        assert page.status_code == 200
        return page.text


def _live(html: str) -> set[str]:
    """Every URL the page still loads from a src or href (inert tags carry data-cg-src instead)."""
    return set(re.findall(r'(?<![-\w])(?:src|href)="([^"]+)"', html))


def _inert(html: str) -> set[str]:
    return set(re.findall(r'data-cg-(?:src|href)="([^"]+)"', html))


@pytest.mark.parametrize("accept_all", [False, True])
async def test_block_mode_keeps_unknown_hosts_inert_until_the_site_classifies_them(
    tmp_path: Path, accept_all: bool
) -> None:
    html = await _get(_gate(tmp_path, "block"), "www.shop.test", accept_all=accept_all)
    live, inert = _live(html), _inert(html)
    for url in MUST_PASS:
        assert url in live and url not in inert, url
    assert ALLOWED in live
    assert "https://www.google.com/maps/embed?pb=1" in live
    assert "https://www.shop.test/logo.png" in live
    for url in [
        *UNKNOWN,
        "https://preload.no-list-knows.test/p.js",
        "https://embed.no-list-knows.test/frame",
        "https://pixel.no-list-knows.test/p.gif",
        "https://media.no-list-knows.test/m.swf",
    ]:
        assert url in inert and url not in live, url
    # Even a visitor who accepted everything cannot grant a category no one can choose.
    assert 'data-cg-category="unclassified"' in html
    assert 'data-cg-service="unknown:tracker.no-list-knows.test"' in html


async def test_the_request_host_decides_what_is_first_party(tmp_path: Path) -> None:
    gate = _gate(tmp_path, "block")
    html = await _get(gate, "checkout.other-shop.test", accept_all=False)
    # www.shop.test is not this request's host now: a third party like any other.
    assert "https://www.shop.test/js/site.js" in _inert(html)
    assert "https://static.shop-cdn.test/app.js" in _live(html)  # the config's first-party host still is
    again = await _get(gate, "www.shop.test", accept_all=False)
    assert "https://www.shop.test/js/site.js" in _live(again)


async def test_allow_mode_gates_only_what_the_catalog_knows(tmp_path: Path) -> None:
    html = await _get(_gate(tmp_path, "allow"), "www.shop.test", accept_all=False)
    live = _live(html)
    for url in [*MUST_PASS, *UNKNOWN, ALLOWED]:
        assert url in live, url
    assert "unclassified" not in html


def test_a_script_that_only_names_an_unknown_host_still_runs(tmp_path: Path) -> None:
    from consentgate.catalog import Catalog
    from consentgate.gate.rewrite import RewritePlan, rewrite

    config = load_config(blocking={"unknown_third_party": "block"})
    plan = RewritePlan(Catalog.builtin().with_config(config), categories=config.category_names)
    page = (
        b'<html><script>var ns = "http://www.w3.org/2000/svg"; fetch("https://api.no-list-knows.test/x");</script>'
        b"<button onclick=\"location.href='https://help.no-list-knows.test/'\">?</button>"
        b'<script src="https://api.no-list-knows.test/sdk.js"></script></html>'
    )
    out = rewrite(plan, frozenset(config.optional_categories), page).decode()
    assert '<script>var ns = "http://www.w3.org/2000/svg"' in out  # code naming a URL is not a fetch
    assert "onclick=" in out
    assert 'data-cg-src="https://api.no-list-knows.test/sdk.js"' in out  # a loading attribute is
