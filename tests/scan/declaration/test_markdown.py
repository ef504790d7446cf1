"""Markdown (escaped, one row per service) and JSON (every declared service)."""

from __future__ import annotations

import json
from pathlib import Path

from consentgate import load_config
from consentgate.scan.declaration import build_declaration


def test_markdown_and_json(site_config_path: Path) -> None:
    config = load_config(site_config_path)
    declaration = build_declaration(config)
    markdown = declaration.to_markdown()
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line]
    headers = [line for line in rows if line.startswith("| Service |")]
    assert len(rows) - len(headers) == len(declaration.services)
    assert "Chatty \\<support\\> & sales" in markdown
    assert "`chatty_sid` (30 days)" in markdown
    assert "(javascript:" not in markdown
    data = json.loads(json.dumps(declaration.to_json()))
    assert {s["id"] for c in data["categories"] for s in c["services"]} == {
        s.id for s in declaration.services
    }
