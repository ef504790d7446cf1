"""The third-party-web layer: the mapping, our rules winning, reviewed entities, site overrides, coverage."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from consentgate.catalog import Catalog
from consentgate.catalog.coverage import TRACKING, coverage, weighted_total
from consentgate.catalog.tpw import load_tpw
from consentgate.config import BUILTIN_CATEGORIES, DEFAULT_CATEGORIES, load_config

#: Trackers the built-in catalog missed before this layer, with where they are answered now.
FORMERLY_MISSED = [
    ("https://mc.yandex.ru/metrika/tag.js", "analytics"),
    ("https://static.klaviyo.com/onsite/js/klaviyo.js", "advertising"),
    ("https://static.criteo.net/js/ld/publishertag.js", "advertising"),
    ("https://ads.pubmatic.com/AdServer/js/pwt.js", "advertising"),
    ("https://c.amazon-adsystem.com/aax2/apstag.js", "advertising"),
    ("https://embed.tawk.to/abc/default", "analytics"),  # functional, analytics without it
    ("https://static.addtoany.com/menu/page.js", "social"),
    ("https://tags.tiqcdn.com/utag/acme/main/prod/utag.js", "analytics"),
    ("https://assets.adobedtm.com/launch-EN123.min.js", "analytics"),
    ("https://secure.quantserve.com/quant.js", "analytics"),
    ("https://statcounter.com/counter/counter.js", "analytics"),
    ("https://cdn.taboola.com/libtrc/acme/loader.js", "advertising"),
    ("https://js.adsrvr.org/up_loader.1.1.0.js", "advertising"),
    ("https://script.crazyegg.com/pages/scripts/0011/1234.js", "analytics"),
    ("https://www.redditstatic.com/ads/pixel.js", "social"),
    ("https://cdn.livechatinc.com/tracking.js", "analytics"),
    ("https://cdn.amplitude.com/libs/amplitude-8.min.js", "analytics"),
]


@pytest.mark.parametrize(("url", "category"), FORMERLY_MISSED)
def test_trackers_the_catalog_missed_are_gated(catalog: Catalog, url: str, category: str) -> None:
    service = catalog.match_url(url)
    assert service is not None, url
    assert service.category == category, (url, service)
    assert catalog.source(service) == "third-party-web"


def test_chat_widgets_are_functional_when_the_site_has_that_category(catalog: Catalog) -> None:
    site = catalog.with_config(load_config(categories={"functional": {}}))
    tawk = site.match_url("https://embed.tawk.to/abc/default")
    assert tawk is not None and tawk.category == "functional"
    assert site.match_url("https://widget.intercom.io/widget/abc").category == "functional"  # type: ignore[union-attr]
    # Its label and translations are built in.
    assert (
        load_config(categories={"functional": {}}).categories["functional"]
        == BUILTIN_CATEGORIES["functional"]
    )
    assert "functional" not in DEFAULT_CATEGORIES


def test_our_rules_win_over_the_data(catalog: Catalog) -> None:
    # Facebook is one "social" entity in the data; our path rules tell the pixel from the SDK.
    assert catalog.match_url("https://connect.facebook.net/en_US/fbevents.js").id == "meta-pixel"  # type: ignore[union-attr]
    assert catalog.match_url("https://connect.facebook.net/en_US/sdk.js").id == "facebook-social"  # type: ignore[union-attr]
    # reCAPTCHA on www.google.com stays necessary; Google's ad paths there are advertising.
    assert catalog.match_url("https://www.google.com/recaptcha/api.js").category == "necessary"  # type: ignore[union-attr]
    assert catalog.match_url("https://www.google.com/pagead/1p-conversion/1/").id == "google-ads"  # type: ignore[union-attr]
    # A data host under one of our host suffixes never takes it over.
    assert catalog.match_host("static.hotjar.com").id == "hotjar"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "url",
    [
        "https://js.stripe.com/v3/",
        "https://m.stripe.network/inner.html",
        "https://www.paypal.com/sdk/js?client-id=x",
        "https://www.paypalobjects.com/api/checkout.js",
        "https://x.klarnaservices.com/lib.js",
        "https://x.klarnacdn.net/kp/lib/v1/api.js",
        "https://js.klarna.com/web-sdk/v1/klarna.js",
        "https://www.google.com/recaptcha/api.js",
        "https://www.recaptcha.net/recaptcha/api.js",
        "https://js.hcaptcha.com/1/api.js",
        "https://maps.googleapis.com/maps/api/js?key=k",
        "https://www.google.com/maps/embed?pb=1",
        "https://fonts.googleapis.com/css2?family=Inter",
        "https://fonts.gstatic.com/s/inter/v1/a.woff2",
        "https://cdn.jsdelivr.net/npm/vue@3",
        "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js",
        "https://unpkg.com/react@18/umd/react.production.min.js",
        "https://ajax.googleapis.com/ajax/libs/jquery/3.7.1/jquery.min.js",
        "https://code.jquery.com/jquery-3.7.1.min.js",
    ],
)
def test_payment_captcha_maps_fonts_and_cdns_are_never_gated(catalog: Catalog, url: str) -> None:
    service = catalog.match_url(url)
    assert service is not None and service.category == "necessary", (url, service)


def test_not_imported_categories_stay_out_unless_reviewed(catalog: Catalog) -> None:
    # "Other Google APIs/SDKs" (utility) holds www.google.com: never imported wholesale.
    assert catalog.match_url("https://www.google.com/search?q=x") is None
    assert catalog.match_host("cdn.shopify.com") is None  # hosting
    assert catalog.match_host("ajax.cloudflare.com") is None  # Rocket Loader runs the site's own scripts
    assert catalog.match_host("www.clarity.ms").category == "analytics"  # type: ignore[union-attr]


def test_the_mapping_covers_every_category_of_the_data() -> None:
    raw = (
        resources.files("consentgate.catalog").joinpath("data", "third-party-web-entities.json").read_bytes()
    )
    entities = json.loads(raw)
    import tomllib

    table = tomllib.loads(
        resources.files("consentgate.catalog").joinpath("data", "services.toml").read_text("utf-8")
    )["third_party_web"]
    seen = {e["category"] for e in entities}
    assert seen <= set(table["categories"]) | set(table["not_imported"])
    names = {e["name"] for e in entities}
    assert set(table["entities"]) <= names, set(table["entities"]) - names  # no review of a vanished entity


def test_exact_and_wildcard_domains_keep_their_meaning() -> None:
    layer = load_tpw(
        [
            {"name": "Acme Ads", "category": "ad", "domains": ["*.acme-ads.test", "pixel.acme.test"]},
            {"name": "Acme CDN", "category": "cdn", "domains": ["*.acme-cdn.test"]},
            {"name": "Stripe-like", "category": "utility", "domains": ["*.pay.test", "10.0.0.1"]},
        ],
        {"categories": {"ad": "advertising"}, "entities": {"Stripe-like": "necessary"}},
    )
    catalog = Catalog([], data=layer)
    assert catalog.match_host("acme-ads.test").id == "tpw-acme-ads"  # type: ignore[union-attr]
    assert catalog.match_host("x.y.acme-ads.test").category == "advertising"  # type: ignore[union-attr]
    assert catalog.match_host("pixel.acme.test") is not None
    assert catalog.match_host("sub.pixel.acme.test") is None  # a plain domain is that host only
    assert catalog.match_host("acme-cdn.test") is None  # a category not imported
    assert catalog.match_host("js.pay.test").category == "necessary"  # type: ignore[union-attr]
    assert layer.services["tpw-stripe-like"].hosts == ("pay.test",)  # the IP address is dropped


def test_a_site_names_a_data_service_to_correct_it_and_list_it(catalog: Catalog) -> None:
    site = catalog.with_config(load_config(services={"tpw-tawk-to": {"category": "necessary"}}))
    assert site.match_url("https://embed.tawk.to/abc/default").category == "necessary"  # type: ignore[union-attr]
    assert "tpw-tawk-to" in site.services  # the banner and the declaration list it now
    assert site.source(site.services["tpw-tawk-to"]) == "site config"
    gone = catalog.with_config(load_config(services={"tpw-yandex-metrica": {"enabled": False}}))
    assert gone.match_url("https://mc.yandex.ru/metrika/tag.js") is None
    assert "tpw-yandex-metrica" not in catalog.services  # not listed unless named


def test_coverage_of_the_tracking_categories_meets_the_bar(catalog: Catalog) -> None:
    report = coverage(catalog, catalog.entities)
    assert weighted_total(report) >= 0.97
    for category in TRACKING:
        assert report[category].weighted >= 0.90, (category, report[category].missed[:5])
        assert report[category].share >= 0.90, category


def test_the_banner_shows_functional_in_every_language_and_a_named_data_service() -> None:
    from consentgate.gate.injection import Injection

    config = load_config(categories={"functional": {}}, services={"tpw-tawk-to": {}})
    injection = Injection(config, Catalog.builtin().with_config(config))
    texts = injection.config_data["texts"]
    assert texts["de"]["categories"]["functional"][0] == "Funktional"
    assert texts["fr"]["categories"]["functional"][0] == "Fonctionnels"
    assert texts["es"]["categories"]["functional"][0] == "Funcionales"
    listed = {s["id"]: s for s in injection.config_data["services"]["functional"]}
    assert listed["tpw-tawk-to"]["provider"] == "Tawk.to"
    # The thousands of services only looked up stay out of what each visitor is sent.
    assert sum(len(v) for v in injection.config_data["services"].values()) < 60
