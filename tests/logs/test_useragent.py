"""UA families only from the parser's own list, bots as ``bot``: in log lines and ledger rows alike,
through real HTTP (a gate with the request log on and a real SQLite ledger)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from consentgate import ConsentMiddleware
from consentgate.logs.useragent import known_browsers, known_systems, summarize
from tests.support.site import ORIGIN, SECRET, site_app

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
#: Each would put a piece of the visitor's own text in the family (ua-parser copies capture groups).
LEAKY = {
    "Mozilla/5.0 (compatible; alice_secret_example_com-bot/1.0)": "bot",
    "alice_secret_example_com-bot": "bot",
    "AliceSecretApp/2.0 CFNetwork/1410.0.3 Darwin/22.6.0": "Other",
    "alice-secret-podcasts-iPhone/7.1 CFNetwork/1410.0.3": "Other",
}


@pytest.mark.parametrize(("user_agent", "family"), [(CHROME, "Chrome"), *LEAKY.items()])
async def test_log_lines_and_ledger_rows_name_only_known_families(
    tmp_path: Path, user_agent: str, family: str
) -> None:
    log = tmp_path / "logs" / "requests.log"
    gate = ConsentMiddleware(
        site_app(),
        secret_key=SECRET,
        database=f"sqlite:///{tmp_path / 'cg.db'}",
        logging={"enabled": True, "path": str(log), "rollup_every_minutes": 0},
    )
    try:
        transport = httpx.ASGITransport(app=gate, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
            headers = {"user-agent": user_agent}
            assert (await client.get("/", headers=headers)).status_code == 200
            chosen = await client.post(
                "/consentgate/consent", json={"action": "reject_all"}, headers={**headers, "origin": ORIGIN}
            )
            assert chosen.status_code == 200
        store = await gate.store()
        [record] = [r async for r in store.iter_records()]
    finally:
        await gate.aclose()
    written = _written(log.parent)
    assert b"alice" not in written.lower() and b"secret" not in written.lower()
    browsers = {json.loads(line)["browser"] for line in written.splitlines()}
    assert browsers == {family}
    assert record.ua_family == family


def _written(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()))


def test_the_known_lists_hold_the_common_families_and_no_placeholder() -> None:
    assert {"Chrome", "Firefox", "Safari", "Edge", "Mobile Safari", "Chrome Mobile", "Samsung Internet"} <= (
        known_browsers()
    )
    assert {"Windows", "Mac OS X", "iOS", "Android", "Linux", "Ubuntu", "Chrome OS"} <= known_systems()
    assert not any("$" in name for name in known_browsers() | known_systems())
    assert summarize("Mozilla/5.0 (X11; AliceOS 3.1) AliceBrowser/9.0").os == "Other"
