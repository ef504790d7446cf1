"""The scanner with the third-party-web layer and in deny-by-default mode."""

from __future__ import annotations

import tomllib
from pathlib import Path

from consentgate import load_config
from consentgate.catalog import Catalog
from consentgate.scan import scan

PAGE = (
    "<html><head>\n"
    '<script src="https://mc.yandex.ru/metrika/tag.js"></script>\n'
    '<script src="https://js.stripe.com/v3/"></script>\n'
    '<script src="https://cdn.no-list-knows.example/lib.js"></script>\n'
    '<script src="https://www.shop.example/app.js"></script>\n'
    "</head></html>\n"
)


async def test_third_party_web_services_show_their_provider_and_category(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(PAGE)
    report = await scan(str(page))
    metrica = report.services["tpw-yandex-metrica"]
    assert (metrica.service.name, metrica.service.provider, metrica.service.category) == (
        "Yandex Metrica",
        "Yandex",
        "analytics",
    )
    assert metrica.items[0].gated
    stripe = report.services["tpw-stripe"]
    assert stripe.service.category == "necessary" and not stripe.items[0].gated


async def test_block_mode_lists_unknown_hosts_with_the_toml_that_classifies_or_allows_them(
    tmp_path: Path,
) -> None:
    page = tmp_path / "p.html"
    page.write_text(PAGE)
    config = load_config(
        blocking={"unknown_third_party": "block"}, site={"first_party_hosts": ["shop.example"]}
    )
    report = await scan(str(page), config=config)
    # The pseudo-service of block mode is not a finding: the host is listed as unclassified.
    assert not any(sid.startswith("unknown:") for sid in report.services)
    # site.first_party_hosts are the site's own, like the scanned site's host.
    assert set(report.unclassified) == {"cdn.no-list-knows.example"}
    snippet = report.unclassified["cdn.no-list-knows.example"].snippet
    assert 'allow_hosts = ["cdn.no-list-knows.example"]' in snippet
    classified = Catalog.builtin().with_config(
        load_config(None, **tomllib.loads(snippet), blocking={"unknown_third_party": "block"})
    )
    assert classified.match_url("https://cdn.no-list-knows.example/lib.js").category == "analytics"  # type: ignore[union-attr]


def test_the_declaration_of_a_scan_lists_third_party_web_services_and_functional_texts() -> None:
    from consentgate.scan.declaration import build_declaration

    config = load_config(categories={"functional": {}})
    declaration = build_declaration(config, language="de", only={"tpw-yandex-metrica", "tpw-tawk-to"})
    listed = {s.id: c.name for c in declaration.categories for s in c.services}
    assert listed["tpw-yandex-metrica"] == "analytics"
    assert listed["tpw-tawk-to"] == "functional"
    functional = next(c for c in declaration.categories if c.name == "functional")
    assert functional.label == "Funktional"
