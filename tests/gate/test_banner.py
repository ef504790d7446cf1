"""The built banner asset and the injection (``consentgate/gate/banner.py``, ``consentgate/gate/injection.py``)."""

from __future__ import annotations

import gzip
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
from consentgate.gate.injection import Injection, json_for_script
from consentgate.gate.texts import LANGUAGES, TEXT_KEYS
from consentgate.web import Router
from tests.support.site import GateFactory, client_for

STATIC = resources.files("consentgate").joinpath("static")
#: The most the injection may add to a page, gzipped (the page-weight budget).
PAGE_BUDGET = 2048


def _asset(injection: Injection, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(injection.assets.body(name))
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


def test_hostile_texts_stay_out_of_the_page_and_round_trip_in_the_assets() -> None:
    evil = "</script><script>alert(1)</script>"
    injection = Injection(load_config(texts={"en": {"title": evil}}, privacy_policy_url="/p?a=1&b=<x>"))
    html = injection.render()
    assert html.count(b"</script>") == 2
    assert html.count(b"<script") == 2
    assert b"alert" not in html  # no text is inlined at all
    texts = _asset(injection, "texts.en.json")
    assert texts["t"]["title"] == evil
    assert texts["p"] == "/p?a=1&b=<x>"
    assert "<" not in injection.config_json  # what the ledger stores stays script-safe


# --- the injection --------------------------------------------------------------------------------


def test_two_tags_in_order_and_the_no_nonce_bytes_are_cached() -> None:
    injection = Injection(load_config())
    plain = injection.render()
    assert injection.render(None) is plain
    assert injection.render("") is plain
    tags = re.findall(rb"<script[^>]*>", plain)
    assert tags == [b"<script>", f'<script src="{BANNER_PATH}?v={BANNER_VERSION}" defer>'.encode()]
    assert b"CG_PARAMS" not in plain
    assert b'"c":"consentgate_state"' in plain
    assert f'"a":"{injection.assets.base}"'.encode() in plain


def test_the_page_carries_at_most_the_budget_gzipped() -> None:
    """What every HTML page grows by: the bootstrap and its parameters, and the banner's tag."""
    config = load_config(
        blocking={"unknown_third_party": "block", "allow_hosts": ["partner.example"]},
        site={"first_party_hosts": ["static.example.net"]},
        texts={"it": {"accept": "Accetta tutto"}},
    )
    for injection in (Injection(load_config()), Injection(config)):
        added = injection.render("bm9uY2Utb2YtYS1yZWFsaXN0aWMtbGVuZ3Ro")
        assert len(gzip.compress(added, 9)) <= PAGE_BUDGET, len(gzip.compress(added, 9))
    assert b'"u":1' in Injection(config).render()


def test_nonce_goes_on_both_scripts_escaped() -> None:
    injection = Injection(load_config())
    html = injection.render('abc"123')
    assert html.count(b' nonce="abc&quot;123"') == 2
    assert html.startswith(b'<script nonce="abc&quot;123">')
    assert b'defer nonce="abc&quot;123"></script>' in html


def test_assets_carry_texts_per_language_services_and_cookies() -> None:
    config = load_config()
    injection = Injection(config, Catalog.builtin().with_config(config))
    assert {f"texts.{lang}.json" for lang in LANGUAGES} <= set(injection.assets.names)
    assert {"rules.js", "services.json"} <= set(injection.assets.names)
    categories = injection.config_data["categories"]
    assert categories[:4] == ["necessary", "analytics", "advertising", "social"]
    for lang in LANGUAGES:
        data = _asset(injection, f"texts.{lang}.json")
        assert set(data["t"]) == TEXT_KEYS | {"categories"}, lang
        assert list(data["t"]["categories"]) == categories
        assert data["g"] == ["advertising", "social"]
        assert data["w"] is False
    assert _asset(injection, "texts.en.json")["t"]["accept"] == "Accept all"
    assert _asset(injection, "texts.de.json")["t"]["accept"] == "Alle akzeptieren"
    assert _asset(injection, "texts.fr.json")["t"]["categories"]["analytics"][0] == "Mesure d\u2019audience"
    assert _asset(injection, "texts.es.json")["t"]["save"] == "Guardar selección"
    more = _asset(injection, "services.json")
    analytics = {s["id"]: s for s in more["s"]["analytics"]}
    assert analytics["google-analytics"]["name"] == "Google Analytics 4"
    assert analytics["google-analytics"]["privacy"].startswith("https://")
    assert "_ga" in more["k"]["analytics"]["names"]
    assert "_ga_" in more["k"]["analytics"]["prefixes"]
    assert "necessary" not in more["k"]
    # The ledger's record of what was shown still holds every language.
    assert set(injection.config_data["texts"]) >= set(LANGUAGES)


def test_site_texts_override_and_extend_languages() -> None:
    config = load_config(
        categories={"analytics": {"label": "Site statistics"}},
        texts={
            "de": {"title": "Ihre Wahl", "social.label": "Netzwerke"},
            "it": {"accept": "Accetta tutto"},
        },
    )
    injection = Injection(config)
    de = _asset(injection, "texts.de.json")["t"]
    assert de["title"] == "Ihre Wahl"
    assert de["reject"] == "Alle ablehnen"
    assert de["categories"]["social"][0] == "Netzwerke"
    # A relabelled category keeps the site's label where no translation of it exists...
    assert de["categories"]["analytics"][0] == "Site statistics"
    assert _asset(injection, "texts.en.json")["t"]["categories"]["analytics"][0] == "Site statistics"
    # ...while its untouched description is still translated.
    assert de["categories"]["analytics"][1].startswith("Zählt Besuche")
    it = _asset(injection, "texts.it.json")["t"]
    assert it["accept"] == "Accetta tutto"
    assert it["reject"] == "Reject all"
    assert b'"it"' in injection.render()  # the bootstrap knows the language exists


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


# --- the guard's table mirrors the catalog ---------------------------------------------------------


def _js_regex_in_python(source: str) -> re.Pattern[str]:
    # The generated sources only use escapes, classes and a lookahead that mean the same in both.
    return re.compile(source.replace("\\/", "/"))


def _guard_says(table: dict[str, Any], url: str) -> str | None:
    """What rules.js's classifier answers, step by step: path rules, exact host, longest suffix;
    the data layer's hosts (grouped by category) answer with their category only."""
    host, _, rest = url.removeprefix("https://").partition("/")
    path = ("/" + rest).lower()

    def hosts(own: dict[str, int], data: dict[str, str]) -> dict[str, str]:
        out = {h: "{}:{}".format(table["cats"][table["sv"][i][1]], table["sv"][i][0]) for h, i in own.items()}
        for category, joined in data.items():
            for h in joined.split(" "):
                out.setdefault(h, table["cats"][int(category)] + ":data")
        return out

    for suffix, source, i in table["p"]:
        if (host == suffix or host.endswith("." + suffix)) and _js_regex_in_python(source).search(path):
            return "{}:{}".format(table["cats"][table["sv"][i][1]], table["sv"][i][0])
    found = hosts(table["x"], table["e"]).get(host)
    labels = host.split(".")
    suffixes = hosts(table["h"], table["d"])
    for i in range(len(labels)):
        if found is None:
            found = suffixes.get(".".join(labels[i:]))
    return found


def test_guard_table_classifies_catalog_urls_like_the_catalog() -> None:
    config = load_config()
    catalog = Catalog.builtin().with_config(config)
    table = Injection(config, catalog).table
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
    for joined in [*table.get("d", {}).values(), *table.get("e", {}).values()]:
        urls += [f"https://{h}/x.js" for h in joined.split(" ")[:200]]
    assert len(urls) > 50
    for url in urls:
        expected = catalog.match_url(url)
        want = None
        if expected is not None:
            data = expected.id.startswith("tpw-")
            want = f"{expected.category}:{'data' if data else expected.id}"
        assert _guard_says(table, url) == want, url
    assert table["u"] == "allow"


def test_rules_asset_carries_the_table_and_the_blocking_settings() -> None:
    config = load_config(
        blocking={"unknown_third_party": "block", "allow_hosts": ["partner.example"]},
        site={"first_party_hosts": ["static.example.net"]},
    )
    injection = Injection(config)
    script = injection.assets.body("rules.js").decode()
    assert "CG_TABLE" not in script
    assert json_for_script(injection.table) in script
    assert injection.table["u"] == "block"
    assert injection.table["a"] == ["partner.example"]
    assert injection.table["f"] == ["static.example.net"]


# --- through the gate ---------------------------------------------------------------------------------


async def test_the_gate_serves_the_bundle_and_the_assets_and_injects_the_tags(make_gate: GateFactory) -> None:
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
            assets = gate.injection.assets
            for name in assets.names:
                got = await client.get(assets.base + name)
                assert got.status_code == 200, name
                assert got.content == assets.body(name)
                assert got.headers["cache-control"] == "public, max-age=31536000, immutable"
                assert got.headers["x-content-type-options"] == "nosniff"
            rules = await client.get(assets.base + "rules.js")
            assert rules.headers["content-type"] == "text/javascript; charset=utf-8"
            texts = await client.get(assets.base + "texts.en.json")
            assert texts.headers["content-type"] == "application/json"
            again = await client.get(
                assets.base + "texts.en.json", headers={"If-None-Match": texts.headers["etag"]}
            )
            assert again.status_code == 304
            assert again.content == b""
            head = await client.head(assets.base + "rules.js")
            assert head.status_code == 200
            assert head.content == b""
            # A page cached before a deployment asks for an older version: the current file, briefly cached.
            old = await client.get("/consentgate/assets/0123456789abcdef/texts.en.json")
            assert old.status_code == 200
            assert old.headers["cache-control"] == "public, max-age=300"
            missing = await client.get(assets.base + "texts.xx.json")
            assert missing.status_code == 404
            assert missing.json()["error"] == "not_found"
            posted = await client.post(assets.base + "rules.js")
            assert posted.status_code == 405
            page = await client.get("/")
            assert gate.injection.render() in page.content
    finally:
        await gate.aclose()


def test_injection_is_ascii_whatever_the_texts() -> None:
    """A page in windows-1252 (or any ASCII-compatible charset) reads the injected bytes unchanged."""
    injection = Injection(load_config(texts={"fr": {"title": "Vos choix de confidentialité « ici »"}}))
    rendered = injection.render("n0nce")
    rendered.decode("ascii")  # raises if any byte is not ASCII
    assert "confidentialité" in _asset(injection, "texts.fr.json")["t"]["title"]
