"""A real webhook receiver on 127.0.0.1 that verifies signatures with the ``standardwebhooks`` library.

Used by the webhook, worker and bench code; its own tests check that it accepts only what a
Standard Webhooks receiver should (so a passing delivery test means a real peer verified us).
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from consentgate.webhooks.signing import new_secret, secret_bytes, signed_headers
from tests.support.receiver import Receiver


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(url, content=body, headers=headers, trust_env=False).status_code


def test_receiver_accepts_our_signature(receiver: Receiver) -> None:
    body = json.dumps({"type": "consent.updated", "data": {}}).encode()
    headers = signed_headers(secret_bytes(receiver.secret), "msg_1", int(time.time()), body)
    assert _post(receiver.url, body, headers) == 204
    assert receiver.delivered == {"msg_1": {"type": "consent.updated", "data": {}}}


def test_receiver_refuses_other_secret_tampering_and_old_timestamps(receiver: Receiver) -> None:
    body = b'{"type":"consent.updated"}'
    other = signed_headers(secret_bytes(new_secret()), "msg_2", int(time.time()), body)
    assert _post(receiver.url, body, other) == 400
    good = signed_headers(secret_bytes(receiver.secret), "msg_3", int(time.time()), body)
    assert _post(receiver.url, body + b" ", good) == 400
    old = signed_headers(secret_bytes(receiver.secret), "msg_4", int(time.time()) - 3600, body)
    assert _post(receiver.url, body, old) == 400
    assert receiver.bad == 3
    assert receiver.delivered == {}


def test_receiver_down_refuses_connections(receiver: Receiver) -> None:
    receiver.stop()
    with pytest.raises(httpx.ConnectError):
        _post(receiver.url, b"{}", {})
    receiver.start()
    body = b"{}"
    assert (
        _post(receiver.url, body, signed_headers(secret_bytes(receiver.secret), "m", int(time.time()), body))
        == 204
    )
