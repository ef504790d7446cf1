"""The consent endpoints, the decision rules and the signed cookie, through real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from consentgate import ConsentMiddleware
from consentgate.consent.cookie import CookieCodec, StoredChoice
from consentgate.store import open_store
from tests.support.site import ORIGIN, SECRET, GateFactory, client_for

ALL = ["necessary", "analytics", "advertising", "social"]


async def _ledger(gate: ConsentMiddleware) -> list[dict[str, Any]]:
    """Every record in the gate's ledger, read back through a second store on the same file."""
    store = open_store(gate.config.database)
    await store.open()
    try:
        return [r.to_json() async for r in store.iter_records()]
    finally:
        await store.close()


async def _choose(client: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    headers.setdefault("origin", ORIGIN)
    return await client.post("/consentgate/consent", json=body, headers=headers)


async def test_undecided_visitor_gets_opt_in_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/consentgate/consent")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    state = response.json()
    assert state == {
        "id": None,
        "decided": False,
        "categories": {"necessary": True, "analytics": False, "advertising": False, "social": False},
        "gpc": False,
        "revision": 1,
        "regime": "opt-in",
    }
    seen = (await client.get("/whoami")).json()
    assert seen["allows"] == state["categories"]


async def test_accept_all_is_recorded_and_remembered(
    client: httpx.AsyncClient, gate: ConsentMiddleware
) -> None:
    response = await _choose(
        client,
        {"action": "accept_all", "language": "en"},
        **{
            "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
        },
    )
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["decided"] is True
    assert all(state["categories"].values())
    cookies = response.headers.get_list("set-cookie")
    signed = next(c for c in cookies if c.startswith("consentgate="))
    assert "HttpOnly" in signed and "SameSite=Lax" in signed and "Path=/" in signed
    assert f"Max-Age={182 * 86400}" in signed
    assert "Secure" not in signed  # plain http
    readable = next(c for c in cookies if c.startswith("consentgate_state="))
    assert readable.startswith("consentgate_state=1.1.necessary-analytics-advertising-social;")
    assert "HttpOnly" not in readable

    again = (await client.get("/whoami")).json()
    assert again["decided"] is True and again["id"] == state["id"]
    assert all(again["allows"].values())

    rows = await _ledger(gate)
    assert len(rows) == 1
    row = rows[0]
    assert row["consent_id"] == state["id"]
    assert row["action"] == "accept_all"
    text = json.dumps(row)
    assert row["hash"] and row["prev_hash"] == ""
    assert "Chrome" in text and "537.36" not in text  # UA family only, never the full string


async def test_reject_all_then_save_choices_then_withdraw(
    client: httpx.AsyncClient, gate: ConsentMiddleware
) -> None:
    first = (await _choose(client, {"action": "reject_all"})).json()
    assert first["categories"] == {
        "necessary": True,
        "analytics": False,
        "advertising": False,
        "social": False,
    }
    second = (await _choose(client, {"categories": {"analytics": True, "social": False}})).json()
    assert second["id"] == first["id"]
    assert second["categories"] == {
        "necessary": True,
        "analytics": True,
        "advertising": False,
        "social": False,
    }
    assert (await client.get("/whoami")).json()["allows"]["analytics"] is True
    gone = await client.request("DELETE", "/consentgate/consent", headers={"origin": ORIGIN})
    assert gone.status_code == 200
    assert gone.json()["categories"] == {
        "necessary": True,
        "analytics": False,
        "advertising": False,
        "social": False,
    }
    assert gone.json()["decided"] is True
    actions = [r["action"] for r in await _ledger(gate)]
    assert actions == ["reject_all", "save_choices", "withdraw"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": "accept_some"}, 400, "bad_action"),
        ({"categories": {"marketing": True}}, 422, "unknown_category"),
        ({"categories": {"necessary": False}}, 422, "necessary_required"),
        ({"categories": {"analytics": "yes"}}, 422, "bad_value"),
        ({"categories": ["analytics"]}, 400, "bad_request"),
        ({"action": "accept_all", "categories": {}}, 400, "bad_request"),
        ({}, 400, "bad_request"),
        ({"action": "accept_all", "colour": 1}, 400, "bad_request"),
        ({"action": "accept_all", "language": "<script>"}, 400, "bad_language"),
        ([1, 2], 400, "bad_request"),
    ],
)
async def test_bad_choices_are_4xx_and_not_recorded(
    client: httpx.AsyncClient, gate: ConsentMiddleware, body: Any, status: int, code: str
) -> None:
    response = await _choose(client, body)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert response.json()["detail"]
    assert "set-cookie" not in response.headers
    assert await _ledger(gate) == []


async def test_bad_json_big_body_and_wrong_type(client: httpx.AsyncClient, gate: ConsentMiddleware) -> None:
    headers = {"origin": ORIGIN, "content-type": "application/json"}
    response = await client.post("/consentgate/consent", content=b"{not json", headers=headers)
    assert (response.status_code, response.json()["error"]) == (400, "bad_json")
    big = json.dumps({"action": "accept_all", "language": "en", "pad": "x" * 20000}).encode()
    response = await client.post("/consentgate/consent", content=big, headers=headers)
    assert (response.status_code, response.json()["error"]) == (413, "body_too_large")
    response = await client.post(
        "/consentgate/consent",
        content=b"action=accept_all",
        headers={"origin": ORIGIN, "content-type": "application/x-www-form-urlencoded"},
    )
    assert (response.status_code, response.json()["error"]) == (415, "unsupported_media_type")
    assert await _ledger(gate) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"origin": "https://evil.example"},
        {"origin": "http://testserver.evil.example"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": ORIGIN},
        {"sec-fetch-site": "same-origin", "origin": "https://evil.example"},
    ],
)
async def test_cross_origin_choices_are_refused(
    client: httpx.AsyncClient, gate: ConsentMiddleware, headers: dict[str, str]
) -> None:
    response = await client.post("/consentgate/consent", json={"action": "accept_all"}, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == "cross_origin"
    delete = await client.request("DELETE", "/consentgate/consent", headers=headers)
    assert delete.status_code == 403
    assert await _ledger(gate) == []


async def test_same_origin_by_fetch_metadata_alone(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/consentgate/consent", json={"action": "accept_all"}, headers={"sec-fetch-site": "same-origin"}
    )
    assert response.status_code == 200


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    response = await client.get("/consentgate/nope")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    response = await client.put("/consentgate/consent", headers={"origin": ORIGIN})
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, POST"


async def test_gpc_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response.json() == {"gpc": True, "lastUpdate": "2026-01-01"}


# --- bad cookies: always "undecided", never an error ------------------------------------------------


def _codec(
    secret: str | list[str] = SECRET, categories: list[str] = ALL, max_age: int = 182 * 86400
) -> CookieCodec:
    return CookieCodec(secret, categories, max_age)


def _cookie(value: str) -> dict[str, str]:
    return {"cookie": f"other=1; consentgate={value}; x=2"}


async def _state(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/whoami", headers=headers)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


async def test_valid_cookie_is_read(client: httpx.AsyncClient) -> None:
    value = _codec().encode(StoredChoice("abc", frozenset({"necessary", "social"}), 1, 1700000000))
    state = await _state(client, _cookie(value))
    assert state["decided"] is True and state["id"] == "abc"
    assert state["allows"] == {"necessary": True, "analytics": False, "advertising": False, "social": True}


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "",
        "a.b.c",
        "x" * 5000,
        # right shape, wrong key
        URLSafeTimedSerializer("another-key", salt="consentgate.consent").dumps(["abc", 15, 1, 1]),
        # valid signature, wrong payload shapes
        "{}",
    ],
)
async def test_malformed_or_tampered_cookie_is_undecided(client: httpx.AsyncClient, value: str) -> None:
    state = await _state(client, _cookie(value))
    assert state["decided"] is False and state["id"] is None


async def test_tampered_payload_is_undecided(client: httpx.AsyncClient) -> None:
    value = _codec().encode(StoredChoice("abc", frozenset({"necessary"}), 1, 1700000000))
    payload, _, rest = value.partition(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest
    assert (await _state(client, _cookie(forged)))["decided"] is False


async def test_wrong_payload_shape_with_valid_signature(client: httpx.AsyncClient) -> None:
    salt = "consentgate.consent:" + ",".join(ALL)
    serializer = URLSafeTimedSerializer(SECRET, salt=salt)
    for payload in (["abc", "15", 1, 1], ["abc", 15], {"id": "abc"}, ["", 15, 1, 1]):
        state = await _state(client, _cookie(serializer.dumps(payload)))
        assert state["decided"] is False


async def test_expired_cookie_is_undecided(client: httpx.AsyncClient) -> None:
    # A cookie signed a year ago is past the 182-day lifetime.
    import time as _time

    from itsdangerous import timed

    class _Past(timed.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(_time.time()) - 365 * 86400

    salt = "consentgate.consent:" + ",".join(ALL)
    old = URLSafeTimedSerializer(SECRET, salt=salt, signer=_Past).dumps(["abc", 15, 1, 1])
    assert (await _state(client, _cookie(old)))["decided"] is False
    fresh = URLSafeTimedSerializer(SECRET, salt=salt).dumps(["abc", 15, 1, 1])
    assert (await _state(client, _cookie(fresh)))["decided"] is True


async def test_old_revision_is_undecided_but_keeps_the_id(make_gate: GateFactory) -> None:
    gate = make_gate(revision=2)
    value = _codec().encode(StoredChoice("abc", frozenset(ALL), 1, 1700000000))
    async with client_for(gate) as client:
        state = await _state(client, _cookie(value))
        assert state["decided"] is False
        assert state["allows"]["analytics"] is False
        response = await _choose(client, {"action": "reject_all"}, cookie=f"consentgate={value}")
        assert response.json()["id"] == "abc"
    await gate.aclose()


async def test_other_categories_invalidate_cookie(make_gate: GateFactory) -> None:
    gate = make_gate(categories={"necessary": {}, "analytics": {}, "chat": {}})
    value = _codec().encode(StoredChoice("abc", frozenset(ALL), 1, 1700000000))
    async with client_for(gate) as client:
        assert (await _state(client, _cookie(value)))["decided"] is False
    await gate.aclose()


async def test_key_rotation(make_gate: GateFactory) -> None:
    old = _codec("old-key").encode(StoredChoice("abc", frozenset(ALL), 1, 1700000000))
    gate = make_gate(secret_key=["new-key", "old-key"])
    async with client_for(gate) as client:
        assert (await _state(client, _cookie(old)))["decided"] is True  # old key still verifies
        response = await _choose(client, {"action": "reject_all"}, cookie=f"consentgate={old}")
        new_value = response.cookies["consentgate"]
    await gate.aclose()
    # The first key signs: the new cookie verifies with the new key alone, not with the old one.
    assert _codec("new-key").decode(new_value) is not None
    assert _codec("old-key").decode(new_value) is None


async def test_secure_cookie_on_https(make_gate: GateFactory) -> None:
    gate = make_gate()
    async with client_for(gate, base_url="https://site.example") as client:
        response = await client.post(
            "/consentgate/consent", json={"action": "accept_all"}, headers={"origin": "https://site.example"}
        )
        assert response.status_code == 200
        assert all("; Secure" in c for c in response.headers.get_list("set-cookie"))
    await gate.aclose()


# --- decision rules -------------------------------------------------------------------------------


async def test_region_only_from_trusted_headers(make_gate: GateFactory) -> None:
    gate = make_gate(region={"trusted_headers": ["CF-IPCountry"], "opt_out": ["US"]})
    async with client_for(gate) as client:
        us = await _state(client, {"cf-ipcountry": "US"})
        assert us["regime"] == "opt-out" and all(us["allows"].values())
        # An untrusted header is ignored: default regime.
        spoofed = await _state(client, {"x-country": "US"})
        assert spoofed["regime"] == "opt-in"
        assert (await _state(client, {"cf-ipcountry": "DE"}))["regime"] == "opt-in"
        assert (await _state(client, {"cf-ipcountry": "garbage!"}))["regime"] == "opt-in"
        assert (await _state(client, {}))["regime"] == "opt-in"
    await gate.aclose()


async def test_untrusted_region_header_without_config(client: httpx.AsyncClient) -> None:
    assert (await _state(client, {"cf-ipcountry": "US"}))["regime"] == "opt-in"


async def test_subdivision_and_forced_opt_in(make_gate: GateFactory) -> None:
    gate = make_gate(
        region={"trusted_headers": ["X-Region"], "default_regime": "opt-out", "opt_in": ["US-CA"]}
    )
    async with client_for(gate) as client:
        assert (await _state(client, {"x-region": "US-TX"}))["regime"] == "opt-out"
        assert (await _state(client, {"x-region": "US-CA"}))["regime"] == "opt-in"
        assert (await _state(client, {"x-region": "FR"}))["regime"] == "opt-in"  # EU always opt-in
        assert (await _state(client, {"x-region": "CH"}))["regime"] == "opt-in"
        assert (await _state(client, {}))["regime"] == "opt-out"
    await gate.aclose()


async def test_gpc_refuses_advertising_and_social_in_any_regime(make_gate: GateFactory) -> None:
    gate = make_gate(region={"default_regime": "opt-out"})
    async with client_for(gate) as client:
        state = await _state(client, {"sec-gpc": "1"})
        assert state["gpc"] is True
        assert state["allows"] == {
            "necessary": True,
            "analytics": True,
            "advertising": False,
            "social": False,
        }
        accepted = await _choose(client, {"action": "accept_all"}, **{"sec-gpc": "1"})
        assert accepted.json()["categories"]["advertising"] is False  # GPC wins over the choice
        assert accepted.json()["gpc"] is True
        cookie = {"cookie": f"consentgate={accepted.cookies['consentgate']}"}
        assert (await _state(client, {**cookie, "sec-gpc": "1"}))["allows"]["advertising"] is False
        assert (await _state(client, cookie))["allows"]["advertising"] is True  # signal gone
    await gate.aclose()


async def test_choice_may_override_gpc_when_config_allows(make_gate: GateFactory) -> None:
    gate = make_gate(signals={"choice_overrides_gpc": True, "gpc_refuses": ["advertising"]})
    async with client_for(gate) as client:
        assert (await _state(client, {"sec-gpc": "1"}))["allows"]["advertising"] is False
        accepted = await _choose(client, {"action": "accept_all"}, **{"sec-gpc": "1"})
        assert accepted.json()["categories"]["advertising"] is True
    await gate.aclose()


async def test_dnt_only_when_enabled(make_gate: GateFactory) -> None:
    off = make_gate(region={"default_regime": "opt-out"})
    on = make_gate(region={"default_regime": "opt-out"}, signals={"honour_dnt": True})
    async with client_for(off) as client:
        state = await _state(client, {"dnt": "1"})
        assert state["allows"]["advertising"] is True
    async with client_for(on) as client:
        state = await _state(client, {"dnt": "1"})
        assert state["allows"]["advertising"] is False and state["gpc"] is False
    await off.aclose()
    await on.aclose()


async def test_websocket_and_lifespan_pass_through(tmp_path: Path) -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        assert "consent" not in scope

    gate = ConsentMiddleware(app, secret_key=SECRET, database=f"sqlite:///{tmp_path / 'x.db'}")
    await gate({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    await gate({"type": "websocket", "path": "/ws", "headers": []}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan", "websocket"]
    assert not (tmp_path / "x.db").exists()  # nothing opened for them


async def test_undecided_opt_out_visitor_gets_a_readable_default_state(make_gate: GateFactory) -> None:
    gate = make_gate(region={"trusted_headers": ["CF-IPCountry"], "opt_out": ["US"]})
    async with client_for(gate) as client:
        page = await client.get("/", headers={"cf-ipcountry": "US"})
        assert page.headers.get_list("set-cookie") == [
            "consentgate_state=1.0.necessary-analytics-advertising-social; Path=/; SameSite=Lax"
        ]
        gpc = await client.get("/", headers={"cf-ipcountry": "US", "sec-gpc": "1"})
        assert gpc.headers.get_list("set-cookie") == [
            "consentgate_state=1.0.necessary-analytics; Path=/; SameSite=Lax"
        ]
        # Opt-in visitors need none (the banner's default is "refused"), and the one they carry from an
        # opt-out region is deleted; JSON answers get none either.
        opt_in = await client.get("/", headers={"cf-ipcountry": "DE"})
        assert opt_in.headers.get_list("set-cookie") == [
            "consentgate_state=; Max-Age=0; Path=/; SameSite=Lax"
        ]
        assert "set-cookie" not in (await client.get("/", headers={"cf-ipcountry": "DE"})).headers
        assert "set-cookie" not in (await client.get("/whoami", headers={"cf-ipcountry": "US"})).headers
        # A visitor who has chosen gets their state from the choice, not the default.
        chosen = await _choose(client, {"action": "reject_all"}, **{"cf-ipcountry": "US"})
        cookie = {"cookie": f"consentgate={chosen.cookies['consentgate']}", "cf-ipcountry": "US"}
        assert "set-cookie" not in (await client.get("/", headers=cookie)).headers
    await gate.aclose()
