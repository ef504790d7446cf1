"""Building the declaration: every enabled service with its cookies, in its category, as the banner lists them."""

from __future__ import annotations

from pathlib import Path

from consentgate import load_config
from consentgate.catalog import Catalog
from consentgate.scan.declaration import build_declaration


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
