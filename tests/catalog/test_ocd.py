"""The Open Cookie Database layer: its categories, our corrections, and the file we ship."""

from __future__ import annotations

import csv
import tomllib
from importlib import resources

from consentgate.catalog import OCD_COLUMNS, Catalog


def test_open_cookie_database_categories(catalog: Catalog) -> None:
    # Rows the catalog does not know, mapped from the OCD's categories.
    assert catalog.cookie_category("AMP_abcdef") == "analytics"  # Amplitude, wildcard, Analytics
    assert catalog.cookie_category("_pk_id.1.abcd") == "analytics"  # Matomo, wildcard
    assert catalog.cookie_category("mp_abc_mixpanel") == "analytics"  # Mixpanel, wildcard "mp_"
    assert catalog.cookie_category("csrf-canary") == "necessary"  # Security
    assert catalog.cookie_category("cookiePreferences") is None  # Functional: unknown by default
    service = catalog.cookie_service("AMP_abcdef")
    assert service is not None
    assert service.id == "ocd:amplitude"
    assert service.category == "analytics"
    assert catalog.cookie_service("cookiePreferences") is None


def test_open_cookie_database_corrections(catalog: Catalog) -> None:
    # Framework session cookies are necessary, whatever the database filed them as.
    for name in ("sessionid", "csrftoken", "PHPSESSID", "JSESSIONID", "laravel_session", "connect.sid"):
        assert catalog.cookie_category(name) == "necessary", name
    django = catalog.cookie_service("sessionid")
    assert django is not None
    assert django.name == "Django"  # not Instagram
    # Generic names a vendor uses on its own domain are the site's own on the site's domain.
    for name in ("token", "locale", "uid", "visitor", "session", "lang"):
        assert catalog.cookie_category(name) is None, name
    # Short names and short wildcard prefixes are ignored: "_s" (Marfeel) must not swallow "_session".
    for name in ("_session", "_s", "s", "xs", "capability", "tpl_theme", "NPA_x", "c"):
        assert catalog.cookie_category(name) is None, name
    assert catalog.cookie_category("cap") == "advertising"  # still an exact name


def _services_toml() -> dict[str, object]:
    return tomllib.loads(
        resources.files("consentgate.catalog").joinpath("data/services.toml").read_text("utf-8")
    )


def test_open_cookie_database_ships_whole_with_its_licence() -> None:
    data = resources.files("consentgate.catalog").joinpath("data")
    text = data.joinpath("open-cookie-database.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) >= 2000
    assert set(OCD_COLUMNS) <= set(rows[0])
    ocd = _services_toml()["ocd"]
    assert isinstance(ocd, dict)
    assert {row["Category"] for row in rows} <= set(ocd["categories"])  # every category is mapped
    licence = data.joinpath("OPEN-COOKIE-DATABASE-LICENSE").read_text("utf-8")
    assert "Apache License" in licence and "Version 2.0" in licence
