"""The consent routes take a choice only from this very origin: scheme, host and port, through real HTTP."""

from __future__ import annotations

import pytest

from tests.support.site import GateFactory, client_for


@pytest.mark.parametrize(
    ("site", "origin", "status"),
    [
        ("https://site.example", "https://site.example", 200),
        ("https://site.example", "https://site.example:443", 200),
        ("https://site.example", "HTTPS://Site.Example", 200),
        ("http://site.example:8080", "http://site.example:8080", 200),
        ("http://[::1]:8080", "http://[::1]:8080", 200),
        # What a page on another origin (or a downgraded one) can send.
        ("https://site.example", "http://site.example", 403),
        ("http://site.example", "https://site.example", 403),
        ("http://site.example:8080", "http://site.example", 403),
        ("http://site.example", "http://site.example:8080", 403),
        ("https://site.example", "https://site.example:8443", 403),
        ("https://site.example", "null", 403),
        ("https://site.example", "https://site.example.evil.example", 403),
        ("https://site.example", "https://user@site.example", 403),
        ("https://site.example", "https://site.example:99999", 403),
    ],
)
async def test_origin_must_match_scheme_host_and_port(
    make_gate: GateFactory, site: str, origin: str, status: int
) -> None:
    gate = make_gate()
    try:
        async with client_for(gate, base_url=site) as client:
            for method in ("POST", "DELETE"):
                answer = await client.request(
                    method,
                    "/consentgate/consent",
                    json={"action": "accept_all"} if method == "POST" else None,
                    headers={"origin": origin},
                )
                assert answer.status_code == status, (method, answer.text)
                if status == 403:
                    assert answer.json()["error"] == "cross_origin"
    finally:
        await gate.aclose()
