"""`consentgate declaration`: every format, a missing config, and a declaration of what a scan found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consentgate.cli.main import main
from tests.support.declaration import SITE_CONFIG, assert_valid_fragment


@pytest.fixture
def site_config_path(tmp_path: Path) -> Path:
    path = tmp_path / "consentgate.toml"
    path.write_text(SITE_CONFIG)
    return path


def test_cli(site_config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["declaration", str(site_config_path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "chatwidget" in {s["id"] for c in data["categories"] for s in c["services"]}
    assert main(["declaration", str(site_config_path), "--format", "markdown", "--lang", "fr"]) == 0
    assert "Fournisseur" in capsys.readouterr().out
    assert main(["declaration", str(site_config_path)]) == 0
    assert_valid_fragment(capsys.readouterr().out)
    assert main(["declaration", str(site_config_path.parent / "missing.toml")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_cli_from_scan_lists_only_the_services_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "index.html"
    page.write_text(
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-X1"></script>\n'
        '<iframe src="https://www.youtube.com/embed/abc"></iframe>\n'
    )
    assert main(["scan", str(page), "--format", "json"]) == 0
    report = tmp_path / "scan.json"
    report.write_text(capsys.readouterr().out)
    assert main(["declaration", "--from-scan", str(report), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ids = {s["id"] for c in data["categories"] for s in c["services"]}
    assert ids == {"consentgate", "google-analytics", "youtube"}
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert main(["declaration", "--from-scan", str(tmp_path / "bad.json")]) == 1
    assert "is not a scan report" in capsys.readouterr().err
