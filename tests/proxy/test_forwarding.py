"""What the origin receives through the gated proxy: forwarding headers, Host, Via, no hop-by-hop headers.

The origin is the real Node.js server of ``origin.js``; the visitor is httpx through ASGITransport
(client address 127.0.0.1), so every header the visitor sends is under the test's control.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.proxy.conftest import GatedClient, hits, node_server


def _headers(echo: dict[str, Any]) -> dict[str, list[str]]:
    raw: list[str] = echo["headers"]
    out: dict[str, list[str]] = {}
    for name, value in zip(raw[::2], raw[1::2], strict=True):
        out.setdefault(name.lower(), []).append(value)
    return out


async def test_x_forwarded_headers_host_and_via_are_written(gated: GatedClient, node_origin: str) -> None:
    async with gated(node_origin) as client:
        response = await client.get(
            "/echo?q=1", headers={"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil"}
        )
    assert response.status_code == 200
    echo = response.json()
    assert echo["url"] == "/echo?q=1"
    seen = _headers(echo)
    # The peer is not a trusted proxy: what the visitor wrote in the forwarding headers is dropped.
    assert seen["x-forwarded-for"] == ["127.0.0.1"]
    assert seen["x-forwarded-proto"] == ["http"]
    assert seen["x-forwarded-host"] == ["www.example.test"]
    assert seen["host"] == ["www.example.test"]  # host = "preserve" (the default)
    assert seen["via"] == ["1.1 consentgate"]
    assert "forwarded" not in seen


async def test_a_trusted_proxys_chain_is_kept_and_extended(gated: GatedClient, node_origin: str) -> None:
    sent = {
        "X-Forwarded-For": "203.0.113.7, 198.51.100.2",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "shop.example",
    }
    async with gated(node_origin, trusted_proxies=["127.0.0.1"]) as client:
        response = await client.get("/echo", headers=sent)
        redirect = await client.get("/redirect", headers=sent)
    seen = _headers(response.json())
    assert seen["x-forwarded-for"] == ["203.0.113.7, 198.51.100.2, 127.0.0.1"]
    assert seen["x-forwarded-proto"] == ["https"]
    assert seen["x-forwarded-host"] == ["shop.example"]
    # The public origin the redirect is rewritten to is the one the trusted proxy reported.
    assert redirect.headers["location"] == "https://shop.example/landing?from=redirect"


async def test_forwarded_style_and_upstream_host(gated: GatedClient, node_origin: str) -> None:
    async with gated(
        node_origin,
        forwarded="forwarded",
        host="upstream",
        trusted_proxies=["127.0.0.0/8"],
        proxy_header="forwarded",
    ) as client:
        response = await client.get("/echo", headers={"Forwarded": 'for="[2001:db8::1]:4711";proto=https'})
    seen = _headers(response.json())
    assert seen["forwarded"] == ['for="[2001:db8::1]", for=127.0.0.1;host=www.example.test;proto=https']
    assert "x-forwarded-for" not in seen
    assert seen["host"] == [node_origin.removeprefix("http://")]


async def test_hop_by_hop_request_headers_are_dropped(gated: GatedClient, node_origin: str) -> None:
    sent = {
        "Connection": "keep-alive, X-Secret-Hop",
        "X-Secret-Hop": "1",
        "Keep-Alive": "timeout=5",
        "TE": "trailers",
        "Proxy-Authorization": "Basic Zm9vOmJhcg==",
        "X-End-To-End": "kept",
        "Via": "1.0 corporate-proxy",
    }
    async with gated(node_origin, headers={"X-Origin-Secret": "s3cret"}) as client:
        response = await client.get("/echo", headers=sent)
    seen = _headers(response.json())
    for name in ("x-secret-hop", "keep-alive", "te", "proxy-authorization"):
        assert name not in seen, name
    assert seen.get("connection", ["keep-alive"]) == [
        "keep-alive"
    ]  # the proxy's own connection, not the visitor's
    assert seen["x-end-to-end"] == ["kept"]
    assert seen["x-origin-secret"] == ["s3cret"]  # proxy.headers
    assert seen["via"] == ["1.0 corporate-proxy, 1.1 consentgate"]


async def test_hop_by_hop_response_headers_are_dropped(gated: GatedClient, node_origin: str) -> None:
    async with gated(node_origin) as client:
        response = await client.get("/hop")
    assert response.text == "hop"
    for name in ("connection", "x-hop-named", "keep-alive", "proxy-authenticate", "transfer-encoding"):
        assert name not in response.headers, name
    assert response.headers["x-kept"] == "yes"
    assert response.headers["via"] == "1.1 origin-cache, 1.1 consentgate"


async def test_request_bodies_reach_the_origin(gated: GatedClient, node_origin: str) -> None:
    async def chunks() -> Any:
        for _ in range(4):
            yield b"x" * 1000

    async with gated(node_origin) as client:
        sized = await client.post("/echo", content=b"y" * 5000)
        streamed = await client.post("/echo", content=chunks())
    assert sized.json()["bodyBytes"] == 5000
    assert _headers(sized.json())["content-length"] == ["5000"]
    assert streamed.json()["bodyBytes"] == 4000
    assert _headers(streamed.json())["transfer-encoding"] == ["chunked"]


async def test_the_gates_own_routes_are_never_forwarded(gated: GatedClient, node_origin: str) -> None:
    async with gated(node_origin) as client:
        consent = await client.get("/consentgate/consent")
        gpc = await client.get("/.well-known/gpc.json")
        missing = await client.get("/consentgate/not-a-route")
        page = await client.get("/elsewhere")
    assert consent.status_code == 200 and consent.json()["decided"] is False
    assert gpc.json()["gpc"] is True
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert page.status_code == 302  # and the site's own paths are
    seen = hits(node_origin)
    assert not [path for path in seen if path.startswith(("/consentgate", "/.well-known"))], seen
    assert page.headers["location"] == "https://example.org/away"  # another origin: untouched


async def test_upgrade_requests_are_refused_with_501(gated: GatedClient, node_origin: str) -> None:
    async with gated(node_origin) as client:
        response = await client.get("/socket", headers={"Connection": "Upgrade", "Upgrade": "websocket"})
    assert response.status_code == 501
    assert "WebSocket" in response.text
    assert "/socket" not in hits(node_origin)


async def test_one_pool_of_kept_alive_connections_bounded_by_pool_size(gated: GatedClient) -> None:
    with node_server() as (url, _):
        async with gated(url, pool_size=2) as client:
            for _ in range(10):
                assert (await client.get("/echo")).status_code == 200
            # One connection for the ten, kept alive and reused (hits() opens one of its own).
            assert hits(url)["connections"] == 1 + 1
            answers = await asyncio.gather(*(client.get("/slow") for _ in range(6)))
        assert [a.status_code for a in answers] == [200] * 6
        seen = hits(url)
    assert seen["maxInFlight"] == 2  # never more than pool_size at the origin at once
    assert seen["connections"] == 2 + 2  # the pool grew to its bound, no further
