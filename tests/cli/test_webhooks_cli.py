"""The webhook commands through ``consentgate.cli.main``: ``worker`` and ``webhooks list|replay|secret``.

Each command runs against a real SQLite file; banner choices made through real HTTP write the
events, and ``worker --once`` delivers them to a real receiver on 127.0.0.1 that checks signatures.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from consentgate import ConsentMiddleware
from consentgate.cli.main import main
from tests.support.receiver import Receiver
from tests.support.site import ORIGIN, SECRET, client_for, site_app

SAME_ORIGIN = {"origin": ORIGIN, "sec-fetch-site": "same-origin"}


@pytest.fixture
def config(tmp_path: Path, receiver: Receiver) -> Path:
    """A site config whose webhooks only `consentgate worker` delivers (worker = "external")."""
    path = tmp_path / "consentgate.toml"
    path.write_text(
        f'database = "sqlite:///{tmp_path / "ledger.db"}"\n'
        "[webhooks]\n"
        'worker = "external"\n'
        "backoff_base_seconds = 0.05\n"
        "timeout_seconds = 2\n"
        "lease_seconds = 5\n"
        "[webhooks.subscriptions.crm]\n"
        f'url = "{receiver.url}"\n'
        f'secret = "{receiver.secret}"\n'
    )
    return path


def _gate(config: Path) -> ConsentMiddleware:
    return ConsentMiddleware(site_app(), secret_key=SECRET, config=str(config))


def _choose(config: Path, *actions: str) -> str:
    """Make banner choices through real HTTP (each writes its webhook events); returns the consent id."""

    async def run() -> str:
        gate = _gate(config)
        try:
            async with client_for(gate) as web:
                cid = ""
                for action in actions:
                    response = await web.post(
                        "/consentgate/consent", json={"action": action}, headers=SAME_ORIGIN
                    )
                    assert response.status_code == 200, response.text
                    cid = response.json()["id"]
                return cid
        finally:
            await gate.aclose()

    return asyncio.run(run())


def test_worker_once_delivers_and_webhooks_list_shows_it(
    config: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = _choose(config, "accept_all", "reject_all")
    assert receiver.delivered == {}  # worker = "external": the app itself sends nothing
    assert main(["worker", "--once", "--config", str(config)]) == 0
    assert "tried 2 deliveries" in capsys.readouterr().err
    assert receiver.bad == 0
    events = [receiver.delivered[msg_id] for msg_id in receiver.order]
    assert [e["type"] for e in events] == ["consent.updated", "consent.updated"]
    assert {e["data"]["subject"] for e in events} == {cid}
    assert [e["data"]["action"] for e in events] == ["accept_all", "reject_all"]

    assert main(["webhooks", "list", "--config", str(config)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split()[:2] == ["STATE", "TRIES"]
    assert len(rows) == 3
    assert all(row.startswith("delivered") and "consent.updated" in row for row in rows[1:])
    assert {row.split()[-1] for row in rows[1:]} == set(receiver.order)

    assert main(["webhooks", "list", "--state", "pending", "--config", str(config)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1  # the header alone
    assert main(["webhooks", "list", "--limit", "0", "--config", str(config)]) == 1
    assert "--limit must be 1 or more" in capsys.readouterr().err


def test_replay_sends_the_same_webhook_id_again(
    config: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    _choose(config, "accept_all")
    assert main(["worker", "--once", "--config", str(config)]) == 0
    [msg_id] = receiver.order
    first = receiver.delivered[msg_id]
    assert main(["webhooks", "replay", msg_id, "--config", str(config)]) == 0
    assert "1 deliveries queued again" in capsys.readouterr().out
    assert main(["worker", "--once", "--config", str(config)]) == 0
    assert receiver.attempts[msg_id] == 2
    assert receiver.delivered[msg_id] == first  # the same event, byte for byte after verifying

    assert main(["webhooks", "replay", "msg_nope", "--config", str(config)]) == 1
    assert "no delivery with webhook-id 'msg_nope'" in capsys.readouterr().err


def test_failed_deliveries_stay_pending_then_replay_dead_sends_dead_letters(
    config: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    # A short retry window so a failing receiver dead-letters at once.
    text = config.read_text().replace("[webhooks]\n", "[webhooks]\nmax_retry_hours = 0.00001\n")
    config.write_text(text)
    _choose(config, "accept_all")
    receiver.mode = "fail"
    assert main(["worker", "--once", "--config", str(config)]) == 0
    assert receiver.delivered == {}
    assert main(["webhooks", "list", "--state", "dead", "--config", str(config)]) == 0
    [row] = capsys.readouterr().out.splitlines()[1:]
    assert row.startswith("dead") and "500" in row

    receiver.mode = "ok"
    assert main(["webhooks", "replay", "--dead", "--config", str(config)]) == 0
    assert "1 deliveries queued again" in capsys.readouterr().out
    assert main(["worker", "--once", "--config", str(config)]) == 0
    assert len(receiver.delivered) == 1
    assert main(["webhooks", "list", "--state", "dead", "--config", str(config)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["webhooks", "list", "--state", "lost"], "invalid choice"),
        (["webhooks", "replay"], "one of the arguments"),
    ],
)
def test_bad_usage_is_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_worker_without_subscriptions_says_what_to_add(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["worker", "--once", "--database", f"sqlite:///{tmp_path / 'l.db'}"]) == 1
    assert "[webhooks.subscriptions.<name>]" in capsys.readouterr().err


def test_webhooks_secret_prints_a_fresh_secret(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["webhooks", "secret"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["webhooks", "secret"]) == 0
    second = capsys.readouterr().out.strip()
    assert first.startswith("whsec_") and second.startswith("whsec_") and first != second


def test_a_broken_config_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "consentgate.toml"
    path.write_text('[webhooks.subscriptions.crm]\nurl = "ftp://example.com/x"\nsecret = "whsec_AAAA"\n')
    assert main(["webhooks", "list", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("consentgate: error:") and "webhooks.subscriptions.crm" in err
    assert "Traceback" not in err
