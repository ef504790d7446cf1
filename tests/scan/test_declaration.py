"""The cookie declaration: content from the catalog and config, HTML that validates, the gate's route."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import html5lib
import pytest

from consentgate import load_config
from consentgate.catalog.catalog import Catalog
from consentgate.cli.main import main
from consentgate.scan.declaration import LANGUAGES, build_declaration, negotiate_language
from tests.support.site import GateFactory, client_for

SITE_CONFIG = """
[services.chatwidget]
name = "Chatty <support> & sales"
provider = "Chatty GmbH"
category = "support_chat"
hosts = ["widget.chatty.example"]
purpose = "Live chat with our team."
privacy_url = "javascript:alert(1)"
cookies = [{ name = "chatty_sid", lifetime = "30 days", purpose = "The chat session." }, "chatty_*"]

[services.hotjar]
enabled = false

[categories.support_chat]
label = "Support chat"
description = "The chat widget of our <support> team."

[texts.de]
"support_chat.label" = "Support-Chat"

[texts.it]
"analytics.label" = "Statistiche"
"""

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


class _TagBalance(HTMLParser):
    """Checks that every opened (non-void) tag is closed, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def _assert_valid_fragment(fragment: str) -> None:
    # html5lib in strict mode raises on any parse error (misnested, unclosed, stray end tags…).
    html5lib.HTMLParser(strict=True).parseFragment(fragment)
    balance = _TagBalance()
    balance.feed(fragment)
    balance.close()
    assert balance.errors == [] and balance.stack == []


@pytest.fixture
def site_config_path(tmp_path: Path) -> Path:
    path = tmp_path / "consentgate.toml"
    path.write_text(SITE_CONFIG)
    return path


def test_every_enabled_service_is_declared_with_cookie_lifetimes(site_config_path: Path) -> None:
    config = load_config(site_config_path)
    catalog = Catalog.builtin().with_config(config)
    declaration = build_declaration(config)
    declared = {s.id: s for s in declaration.services}
    assert set(catalog.services) <= set(declared)
    assert "hotjar" not in declared and "hotjar" in Catalog.builtin().services
    for sid, service in catalog.services.items():
        cookies = {c.name: c.lifetime for c in declared[sid].cookies}
        for rule in service.cookies:
            assert cookies[rule.name + ("*" if rule.prefix else "")] == rule.lifetime
    # The site's own category and service, and the gate's own cookies under "necessary".
    names = [c.name for c in declaration.categories]
    assert names[0] == "necessary" and "support_chat" in names
    chat = next(c for c in declaration.categories if c.name == "support_chat")
    assert [s.id for s in chat.services] == ["chatwidget"]
    assert chat.services[0].cookies[0].lifetime == "30 days"
    own = next(s for s in declaration.categories[0].services if s.id == "consentgate")
    assert [(c.name, c.lifetime) for c in own.cookies] == [
        ("consentgate", "182 days"),
        ("consentgate_state", "182 days"),
    ]
    # Every service sits in the category the catalog gives it.
    for category in declaration.categories:
        for declared_service in category.services:
            if declared_service.id != "consentgate":
                assert catalog.services[declared_service.id].category == category.name


def test_the_html_is_a_valid_escaped_fragment(site_config_path: Path) -> None:
    config = load_config(site_config_path)
    for language in LANGUAGES:
        fragment = build_declaration(config, language=language).to_html()
        _assert_valid_fragment(fragment)
        assert "<support>" not in fragment and "&lt;support&gt; &amp; sales" in fragment
        assert "javascript:" not in fragment
        assert "<html" not in fragment and "<body" not in fragment
        assert f'lang="{language}"' in fragment
    fragment = build_declaration(config).to_html()
    assert '<a href="https://policies.google.com/privacy" rel="noopener noreferrer">' in fragment
    assert "<code>_ga</code> (2 years)" in fragment


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


def test_languages() -> None:
    config = load_config(None)
    german = build_declaration(config, language="de").to_html()
    assert "Anbieter" in german and "Statistik" in german and "182 Tage" in german
    assert negotiate_language(None, "fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert negotiate_language(None, "ja, es;q=0.5, de;q=0.7") == "de"
    assert negotiate_language(None, "ja") == "en"
    assert negotiate_language("es-MX", "de") == "es"
    assert negotiate_language("ja", "de") == "de"


async def test_the_gate_serves_the_fragment(make_gate: GateFactory, site_config_path: Path) -> None:
    gate = make_gate(config=site_config_path)
    try:
        async with client_for(gate) as client:
            response = await client.get("/consentgate/declaration")
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            assert response.headers["content-language"] == "en"
            assert response.headers["cache-control"] == "no-store"
            assert response.text == build_declaration(load_config(site_config_path)).to_html()
            _assert_valid_fragment(response.text)

            german = await client.get(
                "/consentgate/declaration", headers={"accept-language": "de-AT,de;q=0.9"}
            )
            assert german.headers["content-language"] == "de" and "Anbieter" in german.text
            spanish = await client.get("/consentgate/declaration?lang=es", headers={"accept-language": "de"})
            assert spanish.headers["content-language"] == "es" and "Proveedor" in spanish.text

            italian = await client.get("/consentgate/declaration", headers={"accept-language": "it-IT"})
            assert italian.headers["content-language"] == "it"
            assert "<h3>Statistiche</h3>" in italian.text and "Provider" in italian.text
            german = await client.get("/consentgate/declaration?lang=de")
            assert "<h3>Support-Chat</h3>" in german.text and "<h3>Statistik</h3>" in german.text

            bad = await client.get("/consentgate/declaration?lang=%3Cscript%3E")
            assert bad.status_code == 400 and bad.json()["error"] == "bad_language"
            head = await client.head("/consentgate/declaration")
            assert head.status_code == 200 and head.content == b""
            post = await client.post("/consentgate/declaration")
            assert post.status_code == 405
    finally:
        await gate.aclose()


def test_cli(site_config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["declaration", str(site_config_path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "chatwidget" in {s["id"] for c in data["categories"] for s in c["services"]}
    assert main(["declaration", str(site_config_path), "--format", "markdown", "--lang", "fr"]) == 0
    assert "Fournisseur" in capsys.readouterr().out
    assert main(["declaration", str(site_config_path)]) == 0
    _assert_valid_fragment(capsys.readouterr().out)
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


def test_the_banner_lists_the_same_services(site_config_path: Path) -> None:
    from consentgate.gate.injection import Injection

    config = load_config(site_config_path)
    banner = Injection(config).config_data["services"]
    banner_ids = {name: [s["id"] for s in services] for name, services in banner.items()}
    declared = {
        c.name: [s.id for s in c.services if s.id != "consentgate"]
        for c in build_declaration(config).categories
    }
    assert {name: ids for name, ids in declared.items() if ids} == banner_ids
