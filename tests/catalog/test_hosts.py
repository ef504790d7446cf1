"""Deny-by-default: unknown third-party hosts in block mode, first-party and allowed hosts, the guard's table."""

from __future__ import annotations

import json
import re

import pytest

from consentgate.catalog import Catalog
from consentgate.catalog.hosts import UNCLASSIFIED, request_hosts
from consentgate.config import load_config
from consentgate.errors import ConfigError


def _site(catalog: Catalog, **blocking: object) -> Catalog:
    return catalog.with_config(
        load_config(
            blocking={"unknown_third_party": "block", **blocking},
            site={"first_party_hosts": ["example-cdn.net"]},
        )
    )


def test_allow_mode_leaves_unknown_hosts_alone(catalog: Catalog) -> None:
    assert catalog.match_url("https://tracker.unknown-vendor.test/t.js") is None
    assert catalog.with_config(load_config()).match_host("unknown-vendor.test") is None


def test_block_mode_gives_unknown_third_parties_a_pseudo_service(catalog: Catalog) -> None:
    site = _site(catalog, allow_hosts=["partner.test"])
    unknown = site.match_url("https://tracker.unknown-vendor.test/t.js")
    assert unknown is not None
    assert unknown.category == UNCLASSIFIED
    assert unknown.id == "unknown:tracker.unknown-vendor.test"
    assert site.source(unknown) == "unknown host"
    assert site.match_url("//img.unknown-vendor.test/p.gif").category == UNCLASSIFIED  # type: ignore[union-attr]
    # Allowed and first-party suffixes, and the catalog's own answers, are not unclassified.
    assert site.match_url("https://api.partner.test/x.js") is None
    assert site.match_url("https://static.example-cdn.net/app.js") is None
    assert site.match_url("https://js.stripe.com/v3/").category == "necessary"  # type: ignore[union-attr]
    assert site.match_url("https://www.google-analytics.com/analytics.js").category == "analytics"  # type: ignore[union-attr]
    assert site.match_url("/relative/app.js") is None


def test_the_request_host_is_first_party_in_a_view(catalog: Catalog) -> None:
    site = _site(catalog)
    assert site.match_url("https://www.shop.test/app.js").category == UNCLASSIFIED  # type: ignore[union-attr]
    view = site.for_request_host("www.shop.test")
    assert view is not site
    assert view.match_url("https://www.shop.test/app.js") is None
    assert view.match_url("https://static.shop.test/app.js") is None  # www. brings the apex's hosts
    assert view.match_url("https://tracker.other.test/t.js").category == UNCLASSIFIED  # type: ignore[union-attr]
    assert site.match_url("https://www.shop.test/app.js").category == UNCLASSIFIED  # type: ignore[union-attr]
    # A host the config already makes first party, or allow mode, needs no view.
    assert site.for_request_host("www.example-cdn.net") is site
    assert catalog.for_request_host("www.shop.test") is catalog


def test_request_hosts() -> None:
    assert request_hosts("WWW.Shop.Test.") == ("www.shop.test", "shop.test")
    assert request_hosts("shop.test") == ("shop.test",)
    assert request_hosts("www.test") == ("www.test",)  # never a bare top-level domain
    assert request_hosts("") == ()


def test_the_config_refuses_bad_hosts_and_the_reserved_category() -> None:
    with pytest.raises(ConfigError, match=r"blocking\.allow_hosts"):
        load_config(blocking={"allow_hosts": ["https://x.test/"]})
    with pytest.raises(ConfigError, match=r"site\.first_party_hosts"):
        load_config(site={"first_party_hosts": ["Example.com"]})
    with pytest.raises(ConfigError, match=r"blocking\.unknown_third_party"):
        load_config(blocking={"unknown_third_party": "deny"})
    with pytest.raises(ConfigError, match="reserved"):
        load_config(categories={"unclassified": {"label": "x"}})


# --- the guard's table --------------------------------------------------------------------------


def _guard_says(table: dict[str, object], url: str) -> str | None:
    """The guard's look-up, as docs/catalog.md describes it, in Python."""
    host, _, rest = url.split("//", 1)[1].partition("/")
    path = "/" + rest.lower()
    sv = table["sv"]
    cats = table["cats"]
    assert isinstance(sv, list) and isinstance(cats, list)

    def name(index: int) -> str:
        sid, cat = sv[index]
        return f"{cats[cat]}:{sid}"

    for rule_host, regex, index in table["p"]:  # type: ignore[attr-defined]
        if (host == rule_host or host.endswith("." + rule_host)) and re.match(
            regex.replace("\\/", "/"), path
        ):
            return name(index)
    exact = table["x"]
    assert isinstance(exact, dict)
    if host in exact:
        return name(exact[host])
    hosts = table["h"]
    assert isinstance(hosts, dict)
    suffix = host
    while True:
        if suffix in hosts:
            return name(hosts[suffix])
        if "." not in suffix:
            return None
        suffix = suffix.split(".", 1)[1]


def test_the_guard_table_answers_like_the_catalog(catalog: Catalog) -> None:
    site = _site(catalog, allow_hosts=["partner.test"])
    table = site.guard_table()
    json.dumps(table)  # JSON-able
    assert table["u"] == "block" and table["a"] == ["partner.test"] and table["f"] == ["example-cdn.net"]
    urls = [
        "https://www.googletagmanager.com/gtag/js?id=AW-1",
        "https://www.googletagmanager.com/gtm.js?id=GTM-1",
        "https://connect.facebook.net/en_US/fbevents.js",
        "https://connect.facebook.net/en_US/sdk.js",
        "https://www.google.com/recaptcha/api.js",
        "https://www.google.com/maps/embed?pb=1",
        "https://mc.yandex.ru/metrika/tag.js",
        "https://adservice.google.com/ddm/fls/z",
        "https://static.hotjar.com/c/hotjar-1.js",
        "https://js.stripe.com/v3/",
        "https://cdn.jsdelivr.net/npm/x",
        "https://embed.tawk.to/abc/default",
        "https://www.google.com/search?q=1",
    ]
    for entity in site.entities[:400]:
        urls += [f"https://{host}/x.js" for host in entity.hosts[:2]]
    for url in urls:
        expected = site.match_url(url)
        if expected is not None and expected.category == UNCLASSIFIED:
            expected = None  # the guard decides unknown hosts itself, from "u", "a" and "f"
        assert _guard_says(table, url) == (f"{expected.category}:{expected.id}" if expected else None), url
