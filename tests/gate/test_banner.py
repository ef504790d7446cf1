"""The built banner asset and the injection (``consentgate/gate/banner.py``, ``consentgate/gate/injection.py``)."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from typing import Any

import httpx
import pytest

from consentgate.catalog.catalog import Catalog
from consentgate.config import load_config
from consentgate.errors import ConfigError
from consentgate.gate.banner import (
    BANNER_PATH,
    BANNER_VERSION,
    banner_headers,
    banner_response_body,
    banner_routes,
)
from consentgate.gate.injection import Injection, guard_rules, json_for_script
from consentgate.gate.texts import LANGUAGES, TEXT_KEYS
from consentgate.web import Router
from tests.support.site import GateFactory, client_for

STATIC = resources.files("consentgate").joinpath("static")
CONFIG_RE = re.compile(rb'<script type="application/json" id="consentgate-config">(.*?)</script>', re.S)


def _config_of(html: bytes) -> dict[str, Any]:
    found = CONFIG_RE.search(html)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


# --- the asset ----------------------------------------------------------------------------------


def test_body_and_version_are_the_committed_bundle() -> None:
    raw = STATIC.joinpath("banner.js").read_bytes()
    assert banner_response_body() == raw
    assert hashlib.sha256(raw).hexdigest().startswith(BANNER_VERSION)
    assert len(BANNER_VERSION) == 16


def test_headers_cache_long_only_for_the_current_version() -> None:
    current = dict(banner_headers(f"v={BANNER_VERSION}".encode()))
    assert current[b"content-type"] == b"text/javascript; charset=utf-8"
    assert current[b"cache-control"] == b"public, max-age=31536000, immutable"
    for query in (b"", b"v=0123456789abcdef", b"x=1", f"v={BANNER_VERSION}&v=old".encode()):
        assert dict(banner_headers(query))[b"cache-control"] == b"public, max-age=300", query


async def test_served_over_http_with_head_and_304() -> None:
    # Through the gate's router, whose HEAD policy (GET without a body) applies to every route.
    transport = httpx.ASGITransport(app=Router(banner_routes()).handle)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        got = await client.get(f"{BANNER_PATH}?v={BANNER_VERSION}")
        assert got.status_code == 200
        assert got.content == banner_response_body()
        assert got.headers["cache-control"].endswith("immutable")
        assert got.headers["x-content-type-options"] == "nosniff"
        head = await client.head(BANNER_PATH)
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == str(len(banner_response_body()))
        again = await client.get(BANNER_PATH, headers={"If-None-Match": got.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        other = await client.get(BANNER_PATH, headers={"If-None-Match": '"nope"'})
        assert other.status_code == 200


# --- JSON inside <script> ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["</script><script>alert(1)</script>", "<!-- x", "a & b > c", "line\u2028sep\u2029"]
)
def test_json_for_script_is_inert_in_html_and_round_trips(text: str) -> None:
    out = json_for_script({"t": text})
    assert not re.search("[<>&\u2028\u2029]", out)
    assert json.loads(out) == {"t": text}


def test_hostile_config_text_cannot_end_the_config_element() -> None:
    evil = "</script><script>alert(1)</script>"
    html = Injection(load_config(texts={"en": {"title": evil}}, privacy_policy_url="/p?a=1&b=<x>")).render()
    assert html.count(b"</script>") == 3
    assert html.count(b"<script") == 3
    data = _config_of(html)
    assert data["texts"]["en"]["title"] == evil
    assert data["policy"] == "/p?a=1&b=<x>"


# --- the injection --------------------------------------------------------------------------------


def test_three_tags_in_order_and_the_no_nonce_bytes_are_cached() -> None:
    injection = Injection(load_config())
    plain = injection.render()
    assert injection.render(None) is plain
    assert injection.render("") is plain
    tags = re.findall(rb"<script[^>]*>", plain)
    assert tags == [
        b"<script>",
        b'<script type="application/json" id="consentgate-config">',
        f'<script src="{BANNER_PATH}?v={BANNER_VERSION}" defer>'.encode(),
    ]
    assert b"CG_PARAMS" not in plain
    assert b'"c":"consentgate_state"' in plain


def test_nonce_goes_on_both_executable_scripts_escaped() -> None:
    injection = Injection(load_config())
    html = injection.render('abc"123')
    assert html.count(b' nonce="abc&quot;123"') == 2
    assert html.startswith(b'<script nonce="abc&quot;123">')
    assert b'defer nonce="abc&quot;123"></script>' in html
    assert b'id="consentgate-config">' in html and b'application/json" nonce' not in html


def test_config_carries_texts_categories_services_cookies() -> None:
    config = load_config()
    data = _config_of(Injection(config, Catalog.builtin().with_config(config)).render())
    assert data["revision"] == 1
    assert data["endpoint"] == "/consentgate/consent"
    assert data["categories"] == ["necessary", "analytics", "advertising", "social"]
    assert data["gpc"] == {"refuses": ["advertising", "social"], "choiceWins": False}
    assert set(data["texts"]) >= set(LANGUAGES)
    for lang in LANGUAGES:
        assert set(data["texts"][lang]) == TEXT_KEYS | {"categories"}, lang
        assert list(data["texts"][lang]["categories"]) == data["categories"]
    assert data["texts"]["en"]["accept"] == "Accept all"
    assert data["texts"]["de"]["accept"] == "Alle akzeptieren"
    assert data["texts"]["fr"]["categories"]["analytics"][0] == "Mesure d\u2019audience"
    assert data["texts"]["es"]["save"] == "Guardar selección"
    analytics = {s["id"]: s for s in data["services"]["analytics"]}
    assert analytics["google-analytics"]["name"] == "Google Analytics 4"
    assert analytics["google-analytics"]["privacy"].startswith("https://")
    assert "_ga" in data["cookies"]["analytics"]["names"]
    assert "_ga_" in data["cookies"]["analytics"]["prefixes"]
    assert "necessary" not in data["cookies"]


def test_site_texts_override_and_extend_languages() -> None:
    config = load_config(
        categories={"analytics": {"label": "Site statistics"}},
        texts={
            "de": {"title": "Ihre Wahl", "social.label": "Netzwerke"},
            "it": {"accept": "Accetta tutto"},
        },
    )
    texts = _config_of(Injection(config).render())["texts"]
    assert texts["de"]["title"] == "Ihre Wahl"
    assert texts["de"]["reject"] == "Alle ablehnen"
    assert texts["de"]["categories"]["social"][0] == "Netzwerke"
    # A relabelled category keeps the site's label where no translation of it exists...
    assert texts["de"]["categories"]["analytics"][0] == "Site statistics"
    assert texts["en"]["categories"]["analytics"][0] == "Site statistics"
    # ...while its untouched description is still translated.
    assert texts["de"]["categories"]["analytics"][1].startswith("Zählt Besuche")
    assert texts["it"]["accept"] == "Accetta tutto"
    assert texts["it"]["reject"] == "Reject all"


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ({"de": {"titel": "x"}}, "unknown key 'texts.de.titel'"),
        ({"de": {"shop.label": "x"}}, "names unknown category 'shop'"),
        ({"DE": {"title": "x"}}, "'texts.DE' is not a language"),
        ({"de": {"title": "  "}}, "'texts.de.title' is empty"),
        ({"de": {"title": 3}}, "'texts.de.title' must be a string"),
    ],
)
def test_bad_texts_are_config_errors(texts: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(texts=texts)


# --- the guard's rules mirror the catalog ---------------------------------------------------------


def _js_regex_in_python(source: str) -> re.Pattern[str]:
    # The generated sources only use escapes, classes and a lookahead that mean the same in both.
    return re.compile(source.replace("\\/", "/"))


def _guard_category(rules: list[list[str]], url: str) -> str | None:
    host, _, rest = url.removeprefix("https://").partition("/")
    path = ("/" + rest).lower()
    for rule_host, source, category, service in rules:
        if (host == rule_host or host.endswith("." + rule_host)) and (
            not source or _js_regex_in_python(source).search(path)
        ):
            return f"{category}:{service}"
    return None


def test_guard_rules_classify_catalog_urls_like_the_catalog() -> None:
    catalog = Catalog.builtin()
    rules = guard_rules(catalog.services.values())
    urls: list[str] = []
    for service in catalog.services.values():
        urls += [f"https://cdn.{h}/lib.js" for h in service.hosts]
        for rule in service.paths:
            host, _, path = rule.partition("/")
            concrete = path.replace("*", "en_US")
            urls += [
                f"https://{host}/{concrete}",
                f"https://{host}/{concrete}?id=1",
                f"https://{host}/{concrete}x",
            ]
    assert len(urls) > 50
    for url in urls:
        expected = catalog.match_url(url)
        if expected is not None and expected.id not in catalog.services:
            expected = None  # the third-party-web layer: in Catalog.guard_table, not in these rules
        assert _guard_category(rules, url) == (f"{expected.category}:{expected.id}" if expected else None), (
            url
        )


# --- through the gate ---------------------------------------------------------------------------------


async def test_the_gate_serves_the_bundle_and_injects_the_tags(make_gate: GateFactory) -> None:
    gate = make_gate()
    try:
        async with client_for(gate) as client:
            asset = await client.get(gate.injection.banner_url)
            assert asset.status_code == 200
            assert asset.content == banner_response_body()
            assert asset.headers["content-type"] == "text/javascript; charset=utf-8"
            assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
            stale = await client.get(f"{BANNER_PATH}?v=old")
            assert stale.headers["cache-control"] == "public, max-age=300"
            page = await client.get("/")
            assert gate.injection.render() in page.content
            assert _config_of(page.content)["endpoint"] == "/consentgate/consent"
    finally:
        await gate.aclose()


def test_injection_is_ascii_whatever_the_texts() -> None:
    """A page in windows-1252 (or any ASCII-compatible charset) reads the injected texts unchanged."""
    injection = Injection(load_config(texts={"fr": {"title": "Vos choix de confidentialité « ici »"}}))
    rendered = injection.render("n0nce")
    rendered.decode("ascii")  # raises if any byte is not ASCII
    assert b"confidentialit\\u00e9" in rendered
