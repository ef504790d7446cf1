"""API keys through real HTTP: one answer whether the key id exists or not, unknown ids remembered
instead of read from the store each time, and failed attempts limited per client address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from consentgate import ConsentMiddleware
from consentgate.api.auth import FAILED_BURST
from consentgate.api.keys import ApiKey
from consentgate.store.sqlite import SQLiteStore
from tests.support.api import API, bearer, make_key
from tests.support.site import ORIGIN, SECRET, site_app

UNKNOWN = "cgk_0123456789ab_" + "x" * 43


class _CountingStore(SQLiteStore):
    """The real SQLite store, counting its key look-ups."""

    lookups = 0

    async def api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        self.lookups += 1
        return await super().api_key(key_id)


def _client(gate: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=gate, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=ORIGIN)


async def test_unknown_and_wrong_keys_get_one_answer_and_unknown_ids_are_remembered(tmp_path: Path) -> None:
    store = _CountingStore(tmp_path / "ledger.db")
    gate = ConsentMiddleware(site_app(), secret_key=SECRET, store=store)
    try:
        key = await make_key(gate, "read")
        wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
        async with _client(gate, "192.0.2.1") as client:
            answers = [
                await client.get(f"{API}/subjects/someone", headers=bearer(token))
                for token in (wrong, UNKNOWN)
            ]
            assert [a.status_code for a in answers] == [401, 401]
            assert (
                answers[0].json()
                == answers[1].json()
                == {"error": "bad_key", "detail": "This API key is not known."}
            )
            assert answers[0].headers["www-authenticate"] == answers[1].headers["www-authenticate"]
            before = store.lookups
            for _ in range(5):
                assert (
                    await client.get(f"{API}/subjects/someone", headers=bearer(UNKNOWN))
                ).status_code == 401
            assert store.lookups == before  # remembered, not read again
    finally:
        await gate.aclose()


async def test_failed_attempts_are_limited_per_client_address(tmp_path: Path) -> None:
    gate = ConsentMiddleware(site_app(), secret_key=SECRET, database=f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        key = await make_key(gate, "read")
        async with _client(gate, "192.0.2.7") as attacker, _client(gate, "198.51.100.9") as other:
            for i in range(FAILED_BURST):
                token = f"cgk_{i:012x}_" + "y" * 43
                assert (await attacker.get(f"{API}/changes", headers=bearer(token))).status_code == 401
            refused = await attacker.get(f"{API}/changes", headers=bearer(UNKNOWN))
            assert refused.status_code == 429
            assert refused.json()["error"] == "too_many_failures"
            assert int(refused.headers["retry-after"]) >= 1
            # Even a good key from that address waits; another address is not affected.
            assert (await attacker.get(f"{API}/changes", headers=bearer(key))).status_code == 429
            assert (await other.get(f"{API}/changes", headers=bearer(key))).status_code == 200
            assert (await other.get(f"{API}/changes", headers=bearer(UNKNOWN))).status_code == 401
    finally:
        await gate.aclose()
