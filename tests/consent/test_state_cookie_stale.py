"""A readable state cookie the server cannot confirm is deleted on HTML pages, through real HTTP.

The browser can forge or keep ``consentgate_state``: without a valid signed cookie of the current
revision it must not outlive the page that found it (else the banner would act on it).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.support.site import ORIGIN, SECRET, GateFactory, client_for

ALL = "1.1.necessary-analytics-advertising-social"
DELETED = ("", {"max-age": "0", "path": "/", "samesite": "Lax"})


def _cookies(response: httpx.Response) -> dict[str, tuple[str, dict[str, str]]]:
    """Each ``Set-Cookie`` of ``response`` by name: (value, attributes with lower-case names)."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for header in response.headers.get_list("set-cookie"):
        pair, *attributes = header.split(";")
        name, _, value = pair.partition("=")
        parsed = {}
        for attribute in attributes:
            key, _, val = attribute.strip().partition("=")
            parsed[key.lower()] = val
        assert name.strip() not in found, (
            f"two cookies named {name!r}: {response.headers.get_list('set-cookie')}"
        )
        found[name.strip()] = (value, parsed)
    return found


async def _get(gate: Any, path: str = "/", base_url: str = ORIGIN, **cookies: str) -> httpx.Response:
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    async with client_for(gate, base_url=base_url) as client:
        return await client.get(path, headers={"cookie": header} if header else {})


async def _signed_cookie(make_gate: GateFactory, **config: Any) -> str:
    """A valid signed cookie of a gate built with ``config`` (after "accept all")."""
    gate = make_gate(**config)
    try:
        async with client_for(gate) as client:
            answer = await client.post(
                "/consentgate/consent", json={"action": "accept_all"}, headers={"origin": ORIGIN}
            )
            assert answer.status_code == 200
            return answer.cookies["consentgate"]
    finally:
        await gate.aclose()


async def test_a_state_cookie_alone_is_deleted_on_a_page(make_gate: GateFactory) -> None:
    gate = make_gate()
    try:
        page = await _get(gate, consentgate_state=ALL)
        assert _cookies(page) == {"consentgate_state": DELETED}
        # A first visit without one gets no Set-Cookie at all.
        assert "set-cookie" not in (await _get(gate)).headers
    finally:
        await gate.aclose()


async def test_deleted_with_the_attributes_it_was_set_with(make_gate: GateFactory) -> None:
    gate = make_gate(cookie={"domain": "site.example"})
    try:
        page = await _get(gate, base_url="https://site.example", consentgate_state=ALL)
    finally:
        await gate.aclose()
    value, attributes = _cookies(page)["consentgate_state"]
    assert value == ""
    assert attributes == {
        "max-age": "0",
        "path": "/",
        "samesite": "Lax",
        "domain": "site.example",
        "secure": "",
    }


async def test_deleted_beside_a_signed_cookie_of_another_key(make_gate: GateFactory) -> None:
    old = await _signed_cookie(make_gate, secret_key="an-old-key-from-the-last-demo-run")
    gate = make_gate()
    try:
        page = await _get(gate, consentgate=old, consentgate_state=ALL)
        assert _cookies(page) == {"consentgate_state": DELETED}
        # ...and a tampered one.
        page = await _get(gate, consentgate=old[:-3] + "AAA", consentgate_state=ALL)
        assert _cookies(page) == {"consentgate_state": DELETED}
    finally:
        await gate.aclose()


async def test_deleted_beside_a_signed_cookie_of_an_old_revision(make_gate: GateFactory) -> None:
    old = await _signed_cookie(make_gate, revision=1)
    gate = make_gate(revision=2)
    try:
        page = await _get(gate, consentgate=old, consentgate_state=ALL)
    finally:
        await gate.aclose()
    assert _cookies(page) == {"consentgate_state": DELETED}


async def test_deleted_beside_an_expired_signed_cookie(make_gate: GateFactory) -> None:
    class _LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 400 * 86400

    categories = "necessary,analytics,advertising,social"
    serializer = URLSafeTimedSerializer(SECRET, salt=f"consentgate.consent:{categories}", signer=_LongAgo)
    expired = serializer.dumps(["an-old-consent-id", 0b1111, 1, int(time.time()) - 400 * 86400])
    gate = make_gate()
    try:
        page = await _get(gate, consentgate=expired, consentgate_state=ALL)
    finally:
        await gate.aclose()
    assert _cookies(page) == {"consentgate_state": DELETED}


async def test_kept_beside_a_valid_signed_cookie_and_outside_html(make_gate: GateFactory) -> None:
    signed = await _signed_cookie(make_gate)
    gate = make_gate()
    try:
        page = await _get(gate, consentgate=signed, consentgate_state=ALL)
        assert "set-cookie" not in page.headers
        # JSON answers are not pages: the banner never runs on them.
        assert "set-cookie" not in (await _get(gate, "/whoami", consentgate_state=ALL)).headers
    finally:
        await gate.aclose()


async def test_an_opt_out_default_replaces_the_stale_cookie(make_gate: GateFactory) -> None:
    gate = make_gate(region={"default_regime": "opt-out"})
    try:
        page = await _get(gate, consentgate_state="1.1.necessary")
    finally:
        await gate.aclose()
    value, attributes = _cookies(page)["consentgate_state"]
    assert value == "1.0.necessary-analytics-advertising-social"
    assert "max-age" not in attributes
