"""The plan's answer for a URL as written in an attribute is the catalog's for the URL as a browser
reads it, whichever way the plan finds it (the answer per host of a plain authority, remembered,
or the whole URL read by the catalog), and in whatever order URLs of one host come.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentgate.catalog import Catalog
from consentgate.config import load_config
from consentgate.gate.rewrite import RewritePlan
from consentgate.gate.rewrite.attributes import decoded

_DEFAULT = Catalog.builtin().with_config(load_config())
#: Deny by default: an unknown host gets a pseudo-service, first-party and allowed ones do not.
_BLOCKING = (
    Catalog.builtin()
    .with_config(
        load_config(
            blocking={"unknown_third_party": "block", "allow_hosts": ["partner.test"]},
            site={"first_party_hosts": ["shop-cdn.test"]},
        )
    )
    .for_request_host("www.shop.test")
)
CATALOGS = {"default": _DEFAULT, "blocking": _BLOCKING}

#: Hosts with path rules (googletagmanager.com, facebook.com, connect.facebook.net), host rules
#: only, the data layer's, unknown, first-party, allowed, and spellings the parser rewrites.
_HOSTS = [
    "www.googletagmanager.com", "googletagmanager.com", "www.facebook.com", "connect.facebook.net",
    "WWW.GoogleTagManager.COM", "www.google-analytics.com", "static.hotjar.com", "www.youtube.com",
    "js.hs-scripts.com", "cdn.acme.example", "shop-cdn.test", "static.shop-cdn.test", "www.shop.test",
    "shop.test", "partner.test", "x.partner.test", "first-party.invalid", "First-Party.Invalid.",
    "www.facebook.com.", "www.facebook.com..", ".www.facebook.com", "127.0.0.1", "0x7f.1", "1.2.3",
    "xn--nxasmq6b.example", "xn--facebook-.com", "a..b", "-a.com", "a-.com", "localhost", "com", "1",
    "www.facebook.com:443", "user@www.facebook.com", "www\u3002facebook\u3002com", "www.fac\tebook.com",
]  # fmt: skip
_PATHS = [
    "", "/", "/gtm.js?id=GTM-1", "/gtag/js?id=G-1", "/tr?id=1", "/tr/", "/trending", "/en_US/fbevents.js",
    "/signals/config", "/ns.html?id=1", "/x/../tr?id=1", "/%74r?id=1", "/t\nr", "?q=1", "#frag", "/a b",
    "/&#116;r", "/&amp;x", "\\tr", ":80/tr", " ", "/\xe9", "/embed/x",
]  # fmt: skip
_SCHEMES = ["//", "https://", "http://", "HTTPS://", "Https://", "https:", "http:/", "ftp://", "/\n/", "/&#47;", ""]  # fmt: skip

_URLS = st.builds(
    lambda scheme, host, path: (scheme + host + path).encode("utf-8"),
    st.sampled_from(_SCHEMES),
    st.sampled_from(_HOSTS),
    st.sampled_from(_PATHS),
)


def _reference(catalog: Catalog, raw: bytes) -> object:
    """What the plan answered before it remembered answers per host: the catalog on the decoded
    URL, for anything that may be absolute."""
    if b"//" in raw or b"\\" in raw or b"&" in raw or b":" in raw or re.search(rb"/[\t\n\r]", raw):
        return catalog.match_url(decoded(raw))
    return None


@pytest.mark.parametrize("name", list(CATALOGS))
@settings(max_examples=400, deadline=None)
@given(urls=st.lists(_URLS, min_size=1, max_size=30))
def test_the_plan_answers_as_the_catalog(name: str, urls: list[bytes]) -> None:
    catalog = CATALOGS[name]
    plan = RewritePlan(catalog)
    for raw in urls:
        assert plan.match_url(raw) == _reference(catalog, raw), raw


@pytest.mark.parametrize("name", list(CATALOGS))
def test_every_spelling_in_turn(name: str) -> None:
    """Every URL of the grid through one plan, so that each host's remembered answer serves the
    URLs after the first."""
    catalog = CATALOGS[name]
    plan = RewritePlan(catalog)
    for host in _HOSTS:
        for scheme in _SCHEMES:
            for path in _PATHS:
                raw = (scheme + host + path).encode("utf-8")
                assert plan.match_url(raw) == _reference(catalog, raw), raw


def test_path_rules_still_decide() -> None:
    """A host with path rules is not answered by its host alone: gtag.js is Google Analytics',
    gtm.js Google Tag Manager's, on the same host."""
    plan = RewritePlan(_DEFAULT)
    tag_manager = plan.match_url(b"https://www.googletagmanager.com/gtm.js?id=GTM-1")
    analytics = plan.match_url(b"https://www.googletagmanager.com/gtag/js?id=G-1")
    assert tag_manager is not None and analytics is not None
    assert (tag_manager.id, analytics.id) == ("google-tag-manager", "google-analytics")
