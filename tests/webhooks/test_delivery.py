"""Signed webhooks end to end: a choice or an opt-out through real HTTP, the in-app worker, and a real
receiver on 127.0.0.1 that verifies every request with the ``standardwebhooks`` library."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from consentgate import ConsentMiddleware
from consentgate.config import load_config
from consentgate.errors import ConfigError
from consentgate.webhooks.signing import new_secret, secret_bytes, sign
from tests.support.api import API, bearer, make_key
from tests.support.receiver import Receiver
from tests.support.site import ORIGIN, GateFactory, client_for

SAME_ORIGIN = {"origin": ORIGIN, "sec-fetch-site": "same-origin"}


async def until(check: Callable[[], bool], within: float = 20.0) -> None:
    """Wait (without blocking the loop the in-app worker runs on) until ``check()`` holds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


def webhooks(receiver: Receiver, **extra: Any) -> dict[str, Any]:
    sub = {"url": receiver.url, "secret": receiver.secret, **extra}
    return {"poll_seconds": 0.05, "backoff_base_seconds": 0.05, "subscriptions": {"crm": sub}}


@pytest.fixture
async def hook_gate(make_gate: GateFactory, receiver: Receiver) -> AsyncIterator[ConsentMiddleware]:
    gate = make_gate(webhooks=webhooks(receiver))
    yield gate
    await gate.aclose()


def test_signature_matches_the_specification_example() -> None:
    # The worked example of the Standard Webhooks specification.
    key = secret_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = b'{"test": 2432232314}'
    assert sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


async def test_choices_and_opt_outs_reach_the_receiver_signed_and_in_order(
    hook_gate: ConsentMiddleware, receiver: Receiver
) -> None:
    async with client_for(hook_gate) as web:
        chosen = await web.post("/consentgate/consent", json={"action": "accept_all"}, headers=SAME_ORIGIN)
        cid = chosen.json()["id"]
        await hook_gate.link(_scope_with_cookie(web, hook_gate), email="Fay@Example.com")
        await web.delete("/consentgate/consent", headers=SAME_ORIGIN)
        key = await make_key(hook_gate, "write")
        response = await web.post(
            f"{API}/opt-outs",
            json={"email": "fay@example.com", "channel": "sms", "opt_outs": ["contact"]},
            headers=bearer(key),
        )
        assert response.status_code == 201
        await until(lambda: len(receiver.delivered) == 3)
    assert receiver.bad == 0
    events = [receiver.delivered[msg_id] for msg_id in receiver.order]
    # Order is promised per subject (and endpoint); events of different subjects may race each other.
    assert sorted(e["type"] for e in events) == ["consent.updated", "consent.withdrawn", "optout.recorded"]
    of_cid = [e["type"] for e in events if e["data"]["subject"] == cid]
    assert of_cid == ["consent.updated", "consent.withdrawn"]
    by_type = {e["type"]: e["data"] for e in events}
    updated, withdrawn, opted_out = (
        by_type[t] for t in ("consent.updated", "consent.withdrawn", "optout.recorded")
    )
    email = "email:" + hashlib.sha256(b"fay@example.com").hexdigest()
    assert updated["subject"] == cid and updated["action"] == "accept_all" and updated["source"] == "banner"
    assert updated["linked"] == []
    assert withdrawn["opt_outs"] == {"analytics": True, "sale_sharing": True, "targeted_advertising": True}
    assert withdrawn["linked"] == [email]
    assert opted_out["subject"] == email
    assert opted_out["channel"] == "sms" and opted_out["source"] == "sms"
    assert opted_out["opt_outs"] == {"contact": True}
    assert opted_out["linked"] == [cid]
    assert all(msg_id.startswith("msg_") for msg_id in receiver.order)
    store = await hook_gate.store()
    assert {d.state for d in await store.deliveries()} == {"delivered"}


def _scope_with_cookie(web: Any, gate: ConsentMiddleware) -> dict[str, Any]:
    """A request scope carrying the browser's consent cookie, as the app would see it."""
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    scope: dict[str, Any] = {"type": "http", "headers": [(b"cookie", cookie.encode())]}
    scope["consent"] = gate.consent_for(scope)
    return scope


async def test_a_subscription_gets_only_its_event_types(make_gate: GateFactory, receiver: Receiver) -> None:
    gate = make_gate(webhooks=webhooks(receiver, events=["optout.recorded"]))
    try:
        async with client_for(gate) as web:
            await web.post("/consentgate/consent", json={"action": "accept_all"}, headers=SAME_ORIGIN)
            key = await make_key(gate, "write")
            await web.post(f"{API}/opt-outs", json={"user_id": "7", "channel": "form"}, headers=bearer(key))
            await until(lambda: len(receiver.delivered) == 1)
            store = await gate.store()
            assert [d.type for d in await store.deliveries()] == ["optout.recorded"]
    finally:
        await gate.aclose()


async def test_secret_from_the_environment(
    make_gate: GateFactory, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CG_TEST_HOOK_SECRET", receiver.secret)
    config = webhooks(receiver)
    config["subscriptions"]["crm"] = {"url": receiver.url, "secret_env": "CG_TEST_HOOK_SECRET"}
    gate = make_gate(webhooks=config)
    try:
        async with client_for(gate) as web:
            await web.post("/consentgate/consent", json={"action": "reject_all"}, headers=SAME_ORIGIN)
            await until(lambda: len(receiver.delivered) == 1)
    finally:
        await gate.aclose()
    assert receiver.bad == 0


async def test_no_subscriptions_no_outbox_rows(make_gate: GateFactory) -> None:
    gate = make_gate()
    try:
        assert gate.webhooks is None
        async with client_for(gate) as web:
            await web.post("/consentgate/consent", json={"action": "accept_all"}, headers=SAME_ORIGIN)
        assert await (await gate.store()).deliveries() == []
    finally:
        await gate.aclose()


async def test_external_worker_mode_leaves_delivery_to_the_worker(
    make_gate: GateFactory, receiver: Receiver
) -> None:
    gate = make_gate(webhooks={**webhooks(receiver), "worker": "external"})
    try:
        assert gate.webhooks is None
        async with client_for(gate) as web:
            await web.post("/consentgate/consent", json={"action": "accept_all"}, headers=SAME_ORIGIN)
        [row] = await (await gate.store()).deliveries()
        assert row.state == "pending"
    finally:
        await gate.aclose()


@pytest.mark.parametrize(
    ("webhooks_config", "words"),
    [
        ({"subscriptions": {"crm": {"url": "ftp://x", "secret": new_secret()}}}, "url"),
        ({"subscriptions": {"crm": {"url": "http://x.test/h", "secret": "plain"}}}, "whsec_"),
        (
            {"subscriptions": {"crm": {"url": "http://x.test/h", "secret": "whsec_c2hvcnQ="}}},
            "24 random bytes",
        ),
        ({"subscriptions": {"crm": {"url": "http://x.test/h"}}}, "exactly one of"),
        (
            {"subscriptions": {"crm": {"url": "http://x.test/h", "secret": new_secret(), "events": ["x"]}}},
            "'events'",
        ),
        ({"subscriptions": {"a b": {"url": "http://x.test/h", "secret": new_secret()}}}, "subscription name"),
        ({"timeout_seconds": 30.0, "lease_seconds": 20.0}, "lease_seconds"),
        ({"worker": "elsewhere"}, "worker"),
    ],
)
def test_webhook_config_mistakes_are_one_sentence(webhooks_config: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words) as info:
        load_config(webhooks=webhooks_config)
    assert "webhooks" in str(info.value)
    assert "\n" not in str(info.value)


def test_identity_config_mistake() -> None:
    with pytest.raises(ConfigError, match="phone_region"):
        load_config(identity={"phone_region": "usa"})
