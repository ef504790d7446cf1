"""The site config of the declaration's tests (tests/support/declaration.py), written to a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.declaration import SITE_CONFIG


@pytest.fixture
def site_config_path(tmp_path: Path) -> Path:
    path = tmp_path / "consentgate.toml"
    path.write_text(SITE_CONFIG)
    return path
