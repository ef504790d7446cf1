"""The gate's other parts work through the proxy unchanged: the request log (with the same client the
origin finds), the ledger, the API; and the proxy's client chain agrees with the log's."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import httpx

from consentgate import ConsentMiddleware, ProxyApp, load_config
from tests.proxy.conftest import SECRET

PEER = "10.0.0.5"  # a load balancer in front of the gate, trusted
VISITOR = "203.0.113.77"


def _client_found_by_origin(chain: str, trusted: str) -> str:
    """What an origin that trusts ``trusted`` reads from an X-Forwarded-For chain, from the right."""
    network = ipaddress.ip_network(trusted)
    hops = [hop.strip() for hop in chain.split(",")]
    for hop in reversed(hops):
        if ipaddress.ip_address(hop) not in network:
            return hop
    return hops[0]


async def test_log_ledger_and_api_work_through_the_proxy(node_origin: str, tmp_path: Path) -> None:
    log_path = tmp_path / "logs" / "requests.log"
    # One config for both, as `consentgate proxy` does: the proxy and the log trust the same peers.
    config = load_config(
        database=f"sqlite:///{tmp_path / 'ledger.db'}",
        logging={
            "enabled": True,
            "path": str(log_path),
            "rollup_every_minutes": 0,
            "trusted_proxies": ["10.0.0.0/8"],
        },
        proxy={"upstream": node_origin},
    )
    gate = ConsentMiddleware(ProxyApp(config=config), secret_key=SECRET, config=config)
    transport = httpx.ASGITransport(gate, client=(PEER, 40000))
    public = "https://www.example.test"
    sent = {"x-forwarded-for": f"6.6.6.6, {VISITOR}", "x-forwarded-proto": "https"}
    async with httpx.AsyncClient(transport=transport, base_url=public) as client:
        echo = await client.get("/echo", headers=sent)
        choice = await client.post(
            "/consentgate/consent", json={"action": "reject_all"}, headers={"origin": public, **sent}
        )
        client.cookies = choice.cookies
        state = await client.get("/consentgate/consent")
        openapi = await client.get("/consentgate/api/v1/openapi.json")
    await gate.aclose()
    raw = echo.json()["headers"]
    headers = {name.lower(): value for name, value in zip(raw[::2], raw[1::2], strict=True)}
    # The trusted balancer's chain is kept and extended, so the origin and the log find the same client.
    assert headers["x-forwarded-for"] == f"6.6.6.6, {VISITOR}, {PEER}"
    assert _client_found_by_origin(headers["x-forwarded-for"], "10.0.0.0/8") == VISITOR
    lines = [
        json.loads(line) for p in sorted(log_path.parent.iterdir()) for line in p.read_bytes().splitlines()
    ]
    echoed = next(line for line in lines if line.get("path") == "/echo")
    assert echoed["ip"] == "203.0.113.0"  # the same visitor, truncated
    assert choice.status_code == 200 and state.json()["decided"] is True  # recorded in the ledger
    assert openapi.status_code == 200 and openapi.json()["openapi"].startswith("3.")


async def test_link_headers_of_the_origin_lose_their_trackers_until_consent(
    node_origin: str, tmp_path: Path
) -> None:
    # Node sends two Link lines: one a tracker's preload alone, one the site's own style and a pixel.
    # (per_visitor: in uniform mode every visitor gets the page of one who refused everything.)
    config = load_config(
        database=f"sqlite:///{tmp_path / 'ledger.db'}", proxy={"upstream": node_origin}, mode="per_visitor"
    )
    gate = ConsentMiddleware(ProxyApp(config=config), secret_key=SECRET, config=config)
    public = "https://www.example.test"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(gate), base_url=public) as client:
        before = await client.get("/preload")
        choice = await client.post(
            "/consentgate/consent", json={"action": "accept_all"}, headers={"origin": public}
        )
        client.cookies = choice.cookies
        after = await client.get("/preload")
    await gate.aclose()
    assert before.headers.get_list("link") == ["</site.css>; rel=preload; as=style"]
    assert b"data-cg-src" in before.content  # the page itself was gated as usual
    assert after.headers.get_list("link") == [
        "<https://www.googletagmanager.com/gtag/js?id=G-NODE1>; rel=preload; as=script",
        "</site.css>; rel=preload; as=style, <https://www.facebook.com/tr?id=1>; rel=prefetch",
    ]
