"""`consentgate catalog coverage|lookup`: the coverage bar, and where an answer comes from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from consentgate.cli.main import main


def test_coverage_meets_the_bar_for_every_tracking_category() -> None:
    # The real command, as a site owner runs it.
    out = subprocess.run(
        [sys.executable, "-m", "consentgate.cli", "catalog", "coverage", "--json", "--top", "3"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    data = json.loads(out)
    assert data["tracking_weighted"] >= 0.97
    tracking = {name: row for name, row in data["categories"].items() if row["tracking"]}
    assert set(tracking) == {
        "ad",
        "analytics",
        "marketing",
        "social",
        "tag-manager",
        "video",
        "customer-success",
    }
    for name, row in tracking.items():
        assert row["weighted"] >= 0.90 and row["share"] >= 0.90, name
        assert row["occurrences"] > 0
    # The categories not imported wholesale are shown too, with what they leave ungated.
    assert data["categories"]["cdn"]["unrecognised"][0][0] == "Google CDN"


def test_coverage_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "tracking categories" in out and "% of occurrences gated" in out
    assert out.splitlines()[1].split()[0] in {"tag-manager", "analytics", "social", "ad"}
    assert main(["catalog", "coverage", "--top", "-1"]) == 2
    assert "--top" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("target", "service", "category", "source"),
    [
        ("https://www.googletagmanager.com/gtag/js?id=AW-1", "google-ads", "advertising", "built-in"),
        ("mc.yandex.ru", "tpw-yandex-metrica", "analytics", "third-party-web"),
        ("js.stripe.com/v3/", "tpw-stripe", "necessary", "third-party-web"),
        ("https://www.google.com/recaptcha/api.js", "google-recaptcha", "necessary", "built-in"),
    ],
)
def test_lookup_says_which_service_category_and_source_answer(
    capsys: pytest.CaptureFixture[str], target: str, service: str, category: str, source: str
) -> None:
    assert main(["catalog", "lookup", target]) == 0
    out = capsys.readouterr().out
    assert f": {service} (" in out
    assert f"category: {category}" in out
    assert f"source:   {source}" in out


def test_lookup_with_a_site_config_and_block_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "consentgate.toml"
    config.write_text(
        '[blocking]\nunknown_third_party = "block"\n\n'
        '[services.acme-chat]\nname = "Acme chat"\ncategory = "analytics"\nhosts = ["chat.acme.test"]\n'
    )
    assert main(["catalog", "lookup", "--config", str(config), "widget.chat.acme.test"]) == 0
    assert "source:   site config" in capsys.readouterr().out
    assert main(["catalog", "lookup", "--config", str(config), "https://cdn.nobody.test/x.js"]) == 0
    out = capsys.readouterr().out
    assert "category: unclassified" in out and "source:   unknown host" in out
    assert (
        main(["catalog", "lookup", "--config", str(config), "www.shop.test", "--host", "www.shop.test"]) == 0
    )
    assert "no service" in capsys.readouterr().out
    assert main(["catalog", "lookup", "not a host"]) == 2
    assert "neither a host nor" in capsys.readouterr().err
