"""The API key commands through ``consentgate.cli.main``: ``keys create|list|revoke``.

Each command runs against a real SQLite file; a key made by ``keys create`` is then used through
real HTTP on the gate's status API.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from consentgate import ConsentMiddleware
from consentgate.cli.main import main
from tests.support.site import SECRET, client_for, site_app

API = "/consentgate/api/v1"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "consentgate.toml"
    path.write_text(f'database = "sqlite:///{tmp_path / "ledger.db"}"\n')
    return path


def _gate(config: Path) -> ConsentMiddleware:
    return ConsentMiddleware(site_app(), secret_key=SECRET, config=str(config))


def _status_with(config: Path, key: str, path: str = f"{API}/changes") -> int:
    async def run() -> int:
        gate = _gate(config)
        try:
            async with client_for(gate) as web:
                response = await web.get(path, headers={"authorization": f"Bearer {key}"})
                return response.status_code
        finally:
            await gate.aclose()

    return asyncio.run(run())


def _create_key(config: Path, scope: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert (
        main(["keys", "create", "--name", f"{scope} system", "--scope", scope, "--config", str(config)]) == 0
    )
    out, err = capsys.readouterr()
    key = out.strip()
    assert key.startswith("cgk_") and "\n" not in key
    assert "not shown again" in err
    return key


def test_keys_create_list_revoke(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    read = _create_key(config, "read", capsys)
    write = _create_key(config, "write", capsys)
    assert _status_with(config, read) == 200
    assert _status_with(config, write) == 200

    assert main(["keys", "list", "--config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert "read system" in listing and "write system" in listing
    assert read not in listing and write not in listing  # the key itself is never shown again
    key_id = read.split("_")[1]
    assert key_id in listing

    assert main(["keys", "revoke", key_id, "--config", str(config)]) == 0
    assert f"revoked {key_id}" in capsys.readouterr().out
    assert _status_with(config, read) == 401
    assert _status_with(config, write) == 200
    assert main(["keys", "list", "--config", str(config)]) == 0
    revoked_row = next(line for line in capsys.readouterr().out.splitlines() if key_id in line)
    assert len(re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", revoked_row)) == 2  # created, revoked

    # Revoking again, or a key that never existed, is a clear error.
    assert main(["keys", "revoke", key_id, "--config", str(config)]) == 1
    assert "no live key" in capsys.readouterr().err
    assert main(["keys", "revoke", "nosuchkey", "--config", str(config)]) == 1


def test_the_whole_key_revokes_it_too(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = _create_key(config, "read", capsys)
    assert main(["keys", "revoke", key, "--config", str(config)]) == 0
    capsys.readouterr()
    assert _status_with(config, key) == 401


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["keys", "create", "--name", "x", "--scope", "owner"], "invalid choice"),
        (["keys", "create", "--scope", "read"], "--name"),
    ],
)
def test_bad_usage_is_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_blank_or_long_name_is_refused(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("   ", "x" * 101):
        assert main(["keys", "create", "--name", name, "--scope", "read", "--config", str(config)]) == 1
        assert "--name must be 1-100 characters" in capsys.readouterr().err
