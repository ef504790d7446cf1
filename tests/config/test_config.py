"""Configuration: every mistake stops start-up with one sentence naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from consentgate import ConfigError, ConsentMiddleware, load_config
from tests.support.site import SECRET, site_app


def test_defaults() -> None:
    config = load_config()
    assert config.category_names == ("necessary", "analytics", "advertising", "social")
    assert config.database == "sqlite:///./consentgate.db"
    assert config.cookie.max_age_days == 182
    assert config.mode == "uniform"


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("colour = 'red'", "unknown key 'colour'"),
        ("[cookie]\nname = 'x'\nflavour = 1", "unknown key 'cookie.flavour'"),
        ("revision = 'two'", "'revision' must be a whole number"),
        ("mode = 'sometimes'", "'mode' is 'sometimes'; allowed values are 'uniform', 'per_visitor'"),
        ("[signals]\ngpc_refuses = ['advertising', 'marketing']", "unknown category 'marketing'"),
        ("[signals]\ngpc_refuses = ['necessary']", "cannot list 'necessary'"),
        ("[signals]\nhonour_dnt = 'yes'", "'signals.honour_dnt' must be true or false"),
        ("privacy_policy_url = 'ftp://example.com/p'", "'privacy_policy_url' is 'ftp://example.com/p'"),
        ("database = 'mysql://x'", "'database' is 'mysql://x'"),
        ("[region]\nopt_out = ['usa']", "'region.opt_out' lists 'usa'"),
        ("[cookie]\nmax_age_days = 1000", "'cookie.max_age_days' must be between 1 and 400"),
        ("[categories.Bad-Name]\nlabel = 'x'", "category name 'Bad-Name' is not allowed"),
        ("revision = 0", "'revision' must be 1 or more"),
        ("region = 5", "'region' must be a table"),
        ("this is not toml", "is not valid TOML"),
    ],
)
def test_mistakes_are_one_clear_sentence(tmp_path: Path, toml: str, needle: str) -> None:
    path = tmp_path / "consentgate.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("secret", [None, "", [], [""]])
def test_missing_secret_says_how_to_make_one(secret: object) -> None:
    with pytest.raises(ValueError, match="token_urlsafe") as info:
        ConsentMiddleware(site_app(), secret_key=secret)  # type: ignore[arg-type]
    assert isinstance(info.value, ConfigError)


def test_middleware_rejects_bad_keyword() -> None:
    with pytest.raises(ConfigError, match="unknown key 'databse'"):
        ConsentMiddleware(site_app(), secret_key=SECRET, databse="sqlite:///x.db")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "consentgate.cli", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_cli_check(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("revision = 2\n")
    result = _cli("check", str(good), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text("mode = 'x'\n")
    result = _cli("check", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "consentgate: error: 'mode' is 'x'; allowed values are 'uniform', 'per_visitor'."
    ]

    result = _cli("check", "--nope", cwd=tmp_path)
    assert result.returncode == 2
