"""The HTML fragment: valid, escaped, links only where safe, in every language."""

from __future__ import annotations

from pathlib import Path

from consentgate import load_config
from consentgate.scan.declaration import LANGUAGES, build_declaration
from tests.support.declaration import assert_valid_fragment


def test_the_html_is_a_valid_escaped_fragment(site_config_path: Path) -> None:
    config = load_config(site_config_path)
    for language in LANGUAGES:
        fragment = build_declaration(config, language=language).to_html()
        assert_valid_fragment(fragment)
        assert "<support>" not in fragment and "&lt;support&gt; &amp; sales" in fragment
        assert "javascript:" not in fragment
        assert "<html" not in fragment and "<body" not in fragment
        assert f'lang="{language}"' in fragment
    fragment = build_declaration(config).to_html()
    assert '<a href="https://policies.google.com/privacy" rel="noopener noreferrer">' in fragment
    assert "<code>_ga</code> (2 years)" in fragment
