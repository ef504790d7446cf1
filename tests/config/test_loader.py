"""The loader: a TOML file, a ``Config`` or the defaults, then keyword overrides checked like TOML keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consentgate import Config, ConfigError, ConsentMiddleware, load_config
from consentgate.config import CookieConfig, SignalConfig
from tests.support.site import SECRET, site_app


def test_toml_file_and_keyword_overrides(tmp_path: Path) -> None:
    path = tmp_path / "consentgate.toml"
    path.write_text(
        """
revision = 3
mode = "per_visitor"
[region]
trusted_headers = ["CF-IPCountry"]
opt_out = ["US"]
[categories.support_chat]
label = "Support chat"
"""
    )
    config = load_config(path, revision=4)
    assert config.revision == 4
    assert config.mode == "per_visitor"
    assert config.region.opt_out == ("US",)
    assert config.category_names[0] == "necessary"
    assert "support_chat" in config.category_names
    assert config.categories["support_chat"].label == "Support chat"
    assert config.categories["analytics"].label == "Analytics"


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("/nonexistent/consentgate.toml")


def test_config_object_passes_through() -> None:
    config = Config(revision=2)
    assert load_config(config) is config
    assert load_config(config, revision=5).revision == 5


# --- keyword overrides: the same builder and checks whatever the source ----------------------------


@pytest.fixture(params=["defaults", "config", "toml"])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path | Config | None:
    """Each kind of source a gate is built from: None, a ``Config``, a TOML file."""
    if request.param == "defaults":
        return None
    if request.param == "config":
        return Config(revision=2)
    path = tmp_path / "consentgate.toml"
    path.write_text("revision = 2\n[cookie]\nname = 'site'\nmax_age_days = 30\n")
    return path


BAD_OVERRIDES: list[tuple[dict[str, Any], str]] = [
    ({"mode": "bogus"}, "'mode' is 'bogus'; allowed values are 'uniform', 'per_visitor'."),
    ({"revision": "two"}, "'revision' must be a whole number, not str."),
    ({"revision": 0}, "'revision' must be 1 or more"),
    (
        {"colour": "red"},
        "unknown key 'colour'; allowed keys there are: admin, api, banner, blocking, categories,",
    ),
    ({"region": 5}, "'region' must be a table, not int."),
    ({"cookie": {"name": "bad name"}}, "'cookie.name' must be 1-64 letters, digits, '_' or '-'."),
    ({"cookie": {"flavour": 1}}, "unknown key 'cookie.flavour'"),
    ({"logging": {"destination": "syslog"}}, "'logging.destination' is 'syslog'; allowed values are"),
    ({"logging": {"window_hours": 0}}, "'logging.window_hours' must be between 1 and 744"),
    ({"region": {"opt_out": ["usa"]}}, "'region.opt_out' lists 'usa'"),
    ({"categories": {"Bad-Name": {"label": "x"}}}, "category name 'Bad-Name' is not allowed"),
    ({"api": {"rate_limit": 0}}, "'api': 'rate_limit' must be above 0"),
    # A section given as its dataclass is taken as it is, but still checked against the rest.
    ({"signals": SignalConfig(gpc_refuses=("marketing",))}, "unknown category 'marketing'"),
    ({"cookie": CookieConfig(name="bad name")}, "'cookie.name' must be 1-64 letters"),
]


@pytest.mark.parametrize(("overrides", "needle"), BAD_OVERRIDES)
def test_bad_override_is_one_clear_sentence(
    source: str | Path | Config | None, overrides: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(source, **overrides)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("overrides", "needle"), BAD_OVERRIDES)
@pytest.mark.parametrize("config", [None, Config()], ids=["defaults", "config"])
def test_the_gate_refuses_a_bad_override(
    config: Config | None, overrides: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        ConsentMiddleware(site_app(), secret_key=SECRET, config=config, **overrides)
    assert needle in str(info.value)


def test_a_table_for_a_section_is_built_into_it(source: str | Path | Config | None) -> None:
    config = load_config(source, cookie={"name": "x"}, logging={"trusted_proxies": ["10.0.0.0/8"]})
    # The keyword replaces the key whole, as a keyword replaces a TOML table: the rest are defaults.
    assert config.cookie == CookieConfig(name="x")
    assert config.logging.trusted_proxies == ("10.0.0.0/8",)
    assert config.revision == (1 if source is None else 2)


def test_a_section_dataclass_is_taken_as_it_is(source: str | Path | Config | None) -> None:
    signals = SignalConfig(honour_dnt=True)
    assert load_config(source, signals=signals).signals is signals


def test_categories_keep_the_built_in_ones(source: str | Path | Config | None) -> None:
    config = load_config(source, categories={"support_chat": {"label": "Support chat"}})
    assert config.category_names == ("necessary", "analytics", "advertising", "social", "support_chat")
    assert config.categories["support_chat"].label == "Support chat"


def test_good_literals_pass(source: str | Path | Config | None) -> None:
    config = load_config(source, mode="per_visitor", logging={"destination": "stdout"})
    assert config.mode == "per_visitor"
    assert config.logging.destination == "stdout"


@pytest.mark.parametrize("config", [None, Config()], ids=["defaults", "config"])
def test_the_gate_builds_a_table_override(config: Config | None, tmp_path: Path) -> None:
    gate = ConsentMiddleware(
        site_app(),
        secret_key=SECRET,
        config=config,
        database=f"sqlite:///{tmp_path / 'consentgate.db'}",
        cookie={"name": "site_consent"},
    )
    assert gate.config.cookie == CookieConfig(name="site_consent")
