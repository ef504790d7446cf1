"""A page asked for in part (``Range``), through real HTTP: a ``206`` holds bytes of the page the
gate never read, so a browser that joins them to a part it kept (Chromium's cache resumes a page
it had cut short with a range request) would run what the gate makes inert. A range request for a
document gets the whole page, rewritten (HTTP lets a server ignore ``Range``); a ``fetch()`` of a
part (``Sec-Fetch-Dest: empty``) gets the part, as the site sent it. (nginx's ranges through the
proxy: tests/proxy/test_partial_through_proxy.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Route

from tests.support.site import GateFactory, client_for

PIXEL = "https://www.facebook.com/tr?id=partial"
GTM = "https://www.googletagmanager.com/gtm.js?id=GTM-PART"
PAGE = (
    "<!doctype html><html><head><title>part</title></head><body>"
    + "<p>copy</p>" * 40
    + f'<script src="{GTM}"></script><img src="{PIXEL}"></body></html>'
).encode()
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    + "<rect width='1' height='1'/>" * 20
    + f'<image href="{PIXEL}"/></svg>'
).encode()


def _site(folder: Path) -> Starlette:
    (folder / "page.html").write_bytes(PAGE)
    (folder / "logo.svg").write_bytes(SVG)

    async def page(request: Any) -> FileResponse:
        return FileResponse(folder / "page.html", media_type="text/html; charset=utf-8")

    async def logo(request: Any) -> FileResponse:
        return FileResponse(folder / "logo.svg", media_type="image/svg+xml")

    return Starlette(routes=[Route("/", page), Route("/logo.svg", logo)])


def _always_partial(scope: Any, receive: Any, send: Any) -> Any:
    """A site that answers every request with the second half of the page, as a 206."""

    async def app() -> None:
        half = PAGE[len(PAGE) // 2 :]
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-range", f"bytes {len(PAGE) - len(half)}-{len(PAGE) - 1}/{len(PAGE)}".encode()),
            (b"content-length", str(len(half)).encode()),
        ]
        await send({"type": "http.response.start", "status": 206, "headers": headers})
        await send({"type": "http.response.body", "body": half})

    return app()


async def _get(gate: Any, path: str = "/", **headers: str) -> httpx.Response:
    try:
        async with client_for(gate) as client:
            return await client.get(path, headers=headers)
    finally:
        await gate.aclose()


async def test_without_the_gate_a_range_request_gets_the_trackers_live(tmp_path: Path) -> None:
    # What makes it a bypass: the part holds the tags as the site wrote them.
    async with client_for(_site(tmp_path)) as client:
        part = await client.get("/", headers={"range": "bytes=200-"})
    assert part.status_code == 206
    assert f'src="{GTM}"'.encode() in part.content


async def test_a_document_asked_for_in_part_gets_the_whole_page_rewritten(
    make_gate: GateFactory, tmp_path: Path
) -> None:
    for dest in ("document", "iframe", None):
        headers = {"range": "bytes=200-"} | ({"sec-fetch-dest": dest} if dest else {})
        response = await _get(make_gate(_site(tmp_path)), **headers)
        assert response.status_code == 200, dest
        assert "content-range" not in response.headers
        assert response.content.startswith(b"<!doctype html>")
        assert f'data-cg-src="{GTM}"'.encode() in response.content
        assert f' src="{PIXEL}"'.encode() not in response.content
        assert response.headers["content-length"] == str(len(response.content))


async def test_an_svg_document_asked_for_in_part_gets_the_whole_document(
    make_gate: GateFactory, tmp_path: Path
) -> None:
    gate = make_gate(_site(tmp_path))
    response = await _get(gate, "/logo.svg", range="bytes=100-", **{"sec-fetch-dest": "document"})
    assert response.status_code == 200
    assert response.content.startswith(b"<svg")
    assert f' data-cg-href="{PIXEL}"'.encode() in response.content
    assert f' href="{PIXEL}"'.encode() not in response.content


async def test_a_fetch_of_a_part_gets_the_part(make_gate: GateFactory, tmp_path: Path) -> None:
    # Script reading bytes of a page renders nothing: its part goes as the site sent it.
    response = await _get(make_gate(_site(tmp_path)), range="bytes=200-", **{"sec-fetch-dest": "empty"})
    assert response.status_code == 206
    assert response.content == PAGE[200:]


async def test_a_site_that_answers_a_document_in_part_anyway_is_refused(make_gate: GateFactory) -> None:
    response = await _get(make_gate(_always_partial), **{"sec-fetch-dest": "document"})
    assert response.status_code == 502
    assert response.json()["error"] == "partial_page"
    assert GTM.encode() not in response.content


async def test_a_post_answered_in_part_is_refused_not_sent_again(make_gate: GateFactory) -> None:
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["method"])
        await _always_partial(scope, receive, send)

    gate = make_gate(app)
    try:
        async with client_for(gate) as client:
            response = await client.post("/", content=b"a=1", headers={"sec-fetch-dest": "document"})
    finally:
        await gate.aclose()
    assert response.status_code == 502
    assert calls == ["POST"]
