"""A page from nginx asked for in part, through the gated proxy: nginx answers ``Range`` requests
for its files with a ``206`` of the bytes as written; a request for a document gets the whole
page, rewritten (see gate/partial_pages.py and tests/gate/test_partial_pages.py)."""

from __future__ import annotations

import httpx

from tests.proxy.conftest import GatedClient


async def test_a_page_from_nginx_asked_for_in_part_through_the_proxy_comes_whole(
    gated: GatedClient, nginx_origin: str
) -> None:
    gtag = b'src="https://www.googletagmanager.com/gtag/js?id=G-FERN2LEAF9"'
    async with httpx.AsyncClient() as plain:
        part = await plain.get(
            nginx_origin + "/index.html", headers={"range": "bytes=300-", "accept-encoding": "identity"}
        )
    assert part.status_code == 206 and gtag in part.content  # nginx answers ranges of its files
    async with gated(nginx_origin) as client:
        response = await client.get(
            "/index.html",
            headers={"range": "bytes=300-", "accept-encoding": "identity", "sec-fetch-dest": "document"},
        )
    assert response.status_code == 200
    assert response.content.startswith(b"<!")
    assert b"data-cg-" + gtag in response.content and b" " + gtag not in response.content
