"""Loading the catalog: our data file, and a site's ``[services]`` laid over it."""

from __future__ import annotations

import re

import pytest

from consentgate.catalog import Catalog
from consentgate.config import DEFAULT_CATEGORIES, load_config
from consentgate.errors import ConfigError

# --- the data itself ----------------------------------------------------------------------------


def test_builtin_data_is_consistent(catalog: Catalog) -> None:
    hosts: dict[str, str] = {}
    paths: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for service in catalog.services.values():
        assert service.category in DEFAULT_CATEGORIES, service.id
        assert service.name and service.provider and service.purpose, service.id
        assert service.privacy_url.startswith("https://"), service.id
        assert service.hosts or service.paths, service.id
        for host in service.hosts:
            assert host == host.lower() and "/" not in host, host
            assert hosts.setdefault(host, service.id) == service.id, f"{host} claimed twice"
        for rule in service.paths:
            assert "/" in rule and rule == rule.lower(), rule
            assert paths.setdefault(rule, service.id) == service.id, f"{rule} claimed twice"
        for cookie in service.cookies:
            key = cookie.name + ("*" if cookie.prefix else "")
            assert cookies.setdefault(key, service.id) == service.id, f"{key} claimed twice"
            assert cookie.lifetime and cookie.purpose, key


# --- the site's config --------------------------------------------------------------------------


def test_config_overrides_a_builtin_service(catalog: Catalog) -> None:
    config = load_config(services={"google-tag-manager": {"category": "necessary"}})
    site = catalog.with_config(config)
    gtm = site.match_url("https://www.googletagmanager.com/gtm.js?id=GTM-1")
    assert gtm is not None
    assert gtm.category == "necessary"
    assert gtm.paths == catalog.services["google-tag-manager"].paths  # omitted fields kept
    assert catalog.services["google-tag-manager"].category == "analytics"  # the builtin is untouched


def test_config_adds_a_service(catalog: Catalog) -> None:
    config = load_config(
        services={
            "matomo-cloud": {
                "category": "analytics",
                "name": "Matomo Cloud",
                "hosts": ["matomo.cloud"],
                "paths": ["cdn.example.net/matomo/"],
                "snippets": ["_paq.push("],
                "cookies": ["_pk_*", {"name": "mtm_consent", "lifetime": "30 days"}],
            }
        }
    )
    site = catalog.with_config(config)
    added = site.services["matomo-cloud"]
    assert site.match_url("https://acme.matomo.cloud/matomo.js") is added
    assert site.match_url("https://cdn.example.net/matomo/matomo.js") is added
    assert site.match_url("https://cdn.example.net/other.js") is None
    assert site.match_inline("var _paq = window._paq || []; _paq.push(['trackPageView']);") is added
    assert site.cookie_service("_pk_ses.1.abc") is added
    assert site.cookie_category("mtm_consent") == "analytics"
    assert site.match_url("https://static.hotjar.com/c/hotjar-1.js") is site.services["hotjar"]


def test_config_can_replace_lists_and_remove_a_service(catalog: Catalog) -> None:
    config = load_config(services={"hotjar": {"hosts": ["hotjar.io"]}, "vimeo": {"enabled": False}})
    site = catalog.with_config(config)
    # Our rules no longer claim them; the third-party-web layer beneath still does.
    assert site.match_url("https://static.hotjar.com/c/hotjar-1.js") is site.data_services["tpw-hotjar"]
    assert site.match_url("https://content.hotjar.io/x") is site.services["hotjar"]
    assert "vimeo" not in site.services
    assert site.match_url("https://player.vimeo.com/video/1") is site.data_services["tpw-vimeo"]
    assert site.cookie_category("vuid") == "analytics"  # the OCD still knows Vimeo's cookie


def test_config_functional_category(catalog: Catalog) -> None:
    config = load_config(
        categories={**DEFAULT_CATEGORIES, "preferences": {"label": "Preferences"}},
        cookie_filter={"functional_category": "preferences"},
    )
    site = catalog.with_config(config)
    assert site.cookie_category("cookiePreferences") == "preferences"
    assert site.cookie_category("_ga") == "analytics"
    assert catalog.cookie_category("cookiePreferences") is None


def test_with_config_without_changes_is_the_same_catalog(catalog: Catalog) -> None:
    assert catalog.with_config(load_config()) is catalog
    assert Catalog.builtin() is catalog


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (
            {"hotjar": {"category": "tracking"}},
            "'services.hotjar.category' names unknown category 'tracking'",
        ),
        ({"Bad Id": {"category": "analytics"}}, "service id 'Bad Id' is not allowed"),
        ({"x": {"category": "analytics", "hosts": ["https://x.com/"]}}, "'services.x.hosts' lists"),
        ({"x": {"category": "analytics", "paths": ["/js/x.js"]}}, "'services.x.paths' lists"),
        ({"x": {"category": "analytics", "cookies": ["a*b"]}}, "'services.x.cookies' lists"),
        ({"x": {"category": "analytics", "snippets": ["ab"]}}, "'services.x.snippets' lists"),
        ({"x": {"hostz": ["a.com"]}}, "unknown key 'services.x.hostz'"),
    ],
)
def test_config_mistakes_name_the_key(services: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(services=services)


def test_new_service_needs_a_category_and_a_rule(catalog: Catalog) -> None:
    with pytest.raises(
        ConfigError, match=re.escape("'services.acme' is a new service and needs a 'category'")
    ):
        catalog.with_config(load_config(services={"acme": {"hosts": ["acme.com"]}}))
    with pytest.raises(ConfigError, match=re.escape("'services.acme' needs at least one of")):
        catalog.with_config(load_config(services={"acme": {"category": "analytics"}}))


def test_unknown_functional_category_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=re.escape("'cookie_filter.functional_category' names unknown category")
    ):
        load_config(cookie_filter={"functional_category": "preferences"})
