"""The readable state cookie (``<name>_state``) through real HTTP: its value and its attributes, both
as the default of an undecided opt-out visitor on HTML pages and after a choice."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.site import ORIGIN, GateFactory, client_for

OPT_OUT: dict[str, Any] = {"region": {"default_regime": "opt-out"}}


def _cookies(response: httpx.Response) -> dict[str, tuple[str, dict[str, str]]]:
    """Each ``Set-Cookie`` of ``response`` by name: (value, attributes with lower-case names)."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for header in response.headers.get_list("set-cookie"):
        pair, *attributes = header.split(";")
        name, _, value = pair.partition("=")
        parsed: dict[str, str] = {}
        for attribute in attributes:
            key, _, val = attribute.strip().partition("=")
            assert key.lower() not in parsed, f"{key} twice in {header!r}"
            parsed[key.lower()] = val
        assert name.strip() not in found, f"two cookies named {name!r}"
        found[name.strip()] = (value, parsed)
    return found


async def _page_and_choice(
    make_gate: GateFactory, body: dict[str, Any] | None = None, base_url: str = ORIGIN, **config: Any
) -> tuple[httpx.Response, httpx.Response, httpx.Response]:
    """A page for an undecided visitor, the same with GPC, and the answer to a choice."""
    gate = make_gate(**config)
    try:
        async with client_for(gate, base_url=base_url) as client:
            page = await client.get("/")
            gpc = await client.get("/", headers={"sec-gpc": "1"})
            chosen = await client.post(
                "/consentgate/consent", json=body or {"action": "accept_all"}, headers={"origin": base_url}
            )
            assert chosen.status_code == 200, chosen.text
            return page, gpc, chosen
    finally:
        await gate.aclose()


async def test_default_state_carries_the_configured_domain(make_gate: GateFactory) -> None:
    page, gpc, _ = await _page_and_choice(make_gate, cookie={"domain": "example.com"}, **OPT_OUT)
    assert _cookies(page) == {
        "consentgate_state": (
            "1.0.necessary-analytics-advertising-social",
            {"path": "/", "samesite": "Lax", "domain": "example.com"},
        )
    }
    assert _cookies(gpc) == {
        "consentgate_state": (
            "1.0.necessary-analytics",
            {"path": "/", "samesite": "Lax", "domain": "example.com"},
        )
    }


async def test_state_after_a_choice_carries_the_configured_domain(make_gate: GateFactory) -> None:
    _, _, chosen = await _page_and_choice(
        make_gate,
        {"categories": {"analytics": True, "social": True}},
        cookie={"domain": "example.com"},
        **OPT_OUT,
    )
    cookies = _cookies(chosen)
    value, attributes = cookies["consentgate_state"]
    assert value == "1.1.necessary-analytics-social"
    assert attributes == {
        "path": "/",
        "samesite": "Lax",
        "domain": "example.com",
        "max-age": str(182 * 86400),
    }
    signed = cookies["consentgate"][1]
    assert signed["domain"] == "example.com"
    assert "httponly" in signed and "httponly" not in attributes


async def test_withdrawal_sets_the_state_with_the_domain_too(make_gate: GateFactory) -> None:
    gate = make_gate(cookie={"domain": "example.com", "max_age_days": 30})
    try:
        async with client_for(gate) as client:
            gone = await client.request("DELETE", "/consentgate/consent", headers={"origin": ORIGIN})
    finally:
        await gate.aclose()
    value, attributes = _cookies(gone)["consentgate_state"]
    assert value == "1.1.necessary"
    assert attributes["domain"] == "example.com"
    assert attributes["max-age"] == str(30 * 86400)


async def test_without_a_domain_the_cookies_are_host_only(make_gate: GateFactory) -> None:
    page, _, chosen = await _page_and_choice(make_gate, **OPT_OUT)
    assert "domain" not in _cookies(page)["consentgate_state"][1]
    assert all("domain" not in attributes for _, attributes in _cookies(chosen).values())


async def test_name_and_revision_follow_the_config(make_gate: GateFactory) -> None:
    page, _, chosen = await _page_and_choice(make_gate, revision=3, cookie={"name": "cg"}, **OPT_OUT)
    assert _cookies(page)["cg_state"][0] == "3.0.necessary-analytics-advertising-social"
    assert set(_cookies(chosen)) == {"cg", "cg_state"}
    assert _cookies(chosen)["cg_state"][0] == "3.1.necessary-analytics-advertising-social"


async def test_on_https_the_state_cookie_is_secure(make_gate: GateFactory) -> None:
    page, _, chosen = await _page_and_choice(
        make_gate, base_url="https://site.example", cookie={"domain": "site.example"}, **OPT_OUT
    )
    assert _cookies(page)["consentgate_state"][1] == {
        "path": "/",
        "samesite": "Lax",
        "domain": "site.example",
        "secure": "",
    }
    assert "secure" in _cookies(chosen)["consentgate_state"][1]


async def test_no_default_state_under_opt_in_or_outside_html(make_gate: GateFactory) -> None:
    page, gpc, _ = await _page_and_choice(make_gate, cookie={"domain": "example.com"})
    assert "set-cookie" not in page.headers and "set-cookie" not in gpc.headers
    gate = make_gate(cookie={"domain": "example.com"}, **OPT_OUT)
    try:
        async with client_for(gate) as client:
            assert "set-cookie" not in (await client.get("/whoami")).headers
    finally:
        await gate.aclose()
