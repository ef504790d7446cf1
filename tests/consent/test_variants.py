"""Banner variants through real HTTP (httpx ASGITransport): weighted assignment, kept until the choice,
recorded in the ledger; texts only, anything else refused at start-up."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from consentgate.config import load_config
from consentgate.consent.variants import Variants
from consentgate.errors import ConfigError
from tests.support.api import SAME_ORIGIN
from tests.support.site import GateFactory, client_for
from tests.support.stores import raw_execute

VARIANTS: dict[str, Any] = {
    "variants": {
        "plain": {"weight": 1},
        "short": {"weight": 1, "texts": {"en": {"title": "Cookies?"}, "de": {"title": "Cookies?"}}},
    }
}
_ASSIGNED = re.compile(r"(?:^|, )consentgate_variant=([a-z]+); Path=/; SameSite=Lax; Max-Age=\d+")


def _assigned(response: Any) -> str | None:
    found = [m.group(1) for h in response.headers.get_list("set-cookie") if (m := _ASSIGNED.match(h))]
    assert len(found) <= 1
    return found[0] if found else None


async def test_two_variants_at_50_50_over_2000_visitors_are_kept_until_the_choice(
    make_gate: GateFactory,
) -> None:
    gate = make_gate(banner=VARIANTS)
    try:
        seen: Counter[str] = Counter()
        kept: dict[int, str] = {}
        async with client_for(gate) as web:
            for visitor in range(2000):
                web.cookies.clear()  # a new visitor
                first = await web.get("/")
                variant = _assigned(first)
                assert variant in ("plain", "short")
                seen[variant] += 1
                # The same visitor comes back: same variant, no new assignment.
                again = await web.get("/")
                assert _assigned(again) is None
                assert web.cookies.get("consentgate_variant") == variant
                if visitor % 40 == 0:  # fifty of them choose
                    chosen = await web.post(
                        "/consentgate/consent", json={"action": "reject_all"}, headers=SAME_ORIGIN
                    )
                    assert chosen.status_code == 200
                    assert any(
                        h.startswith("consentgate_variant=;") and "Max-Age=0" in h
                        for h in chosen.headers.get_list("set-cookie")
                    )
                    kept[visitor] = variant
                    after = await web.get("/")  # decided: no variant any more
                    assert _assigned(after) is None and "consentgate_variant" not in web.cookies
        share = seen["plain"] / 2000
        assert 0.45 <= share <= 0.55, seen
        store = await gate.store()
        rows = raw_execute(store, "SELECT variant, COUNT(*) FROM records GROUP BY variant ORDER BY variant")
        expected = Counter(kept.values())
        assert rows == sorted(expected.items())
        records = [r async for r in store.iter_records()]
        assert sorted(r.variant for r in records) == sorted(kept.values())
    finally:
        await gate.aclose()


async def test_a_decided_visitor_and_a_gate_without_variants_get_no_variant(make_gate: GateFactory) -> None:
    gate = make_gate()
    try:
        async with client_for(gate) as web:
            assert _assigned(await web.get("/")) is None
            assert gate.variants is None
    finally:
        await gate.aclose()


async def test_an_unknown_variant_cookie_is_reassigned(make_gate: GateFactory) -> None:
    gate = make_gate(banner=VARIANTS)
    try:
        async with client_for(gate) as web:
            web.cookies.set("consentgate_variant", "gone")
            assert _assigned(await web.get("/")) in ("plain", "short")
    finally:
        await gate.aclose()


def test_weights_set_the_shares() -> None:
    config = load_config(banner={"variants": {"rare": {"weight": 1}, "common": {"weight": 9}}})
    variants = Variants(config)
    picks = Counter(variants.pick() for _ in range(5000))
    assert 0.07 <= picks["rare"] / 5000 <= 0.13


def test_texts_are_overridden_per_language_only_where_given() -> None:
    variants = Variants(load_config(banner=VARIANTS))
    assert variants.overrides_for("en") == {"plain": {}, "short": {"title": "Cookies?"}}
    assert variants.overrides_for("fr") == {"plain": {}, "short": {}}


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        (
            {"style": "big-accept"},
            r"unknown key 'banner\.variants\.b\.style'; allowed keys there are: texts, weight",
        ),
        ({"order": ["accept", "reject"]}, r"unknown key 'banner\.variants\.b\.order'"),
        ({"texts": {"en": {"class": "x"}}}, r"unknown key 'banner\.variants\.b\.texts\.en\.class'"),
        ({"texts": {"en": {"title": " "}}}, r"'banner\.variants\.b\.texts\.en\.title' is empty"),
        ({"weight": 0}, r"'banner\.variants\.b\.weight' must be a number above 0"),
    ],
)
def test_a_variant_may_change_texts_only(variant: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(banner={"variants": {"b": variant}})


def test_a_variant_name_must_fit_a_cookie() -> None:
    with pytest.raises(ConfigError, match=r"'banner\.variants\.Big One': a variant name is 1-32 lower-case"):
        load_config(banner={"variants": {"Big One": {}}})


async def test_each_visitor_reads_the_texts_of_their_variant(make_gate: GateFactory) -> None:
    gate = make_gate(banner=VARIANTS)
    base = gate.injection.assets.base
    async with client_for(gate) as web:
        plain = await web.get(f"{base}texts.en.json")
        assert plain.status_code == 200
        assert plain.json()["t"]["title"] != "Cookies?"
        web.cookies.set("consentgate_variant", "short")
        short = await web.get(f"{base}texts.en.json")
        assert short.json()["t"]["title"] == "Cookies?"
        # The rest of the language's texts stay: only the override changes.
        assert short.json()["t"]["accept"] == plain.json()["t"]["accept"] == "Accept all"
        # One URL, different bodies by visitor: never in a shared cache, and no 304 across variants.
        for answer in (plain, short):
            assert answer.headers["cache-control"].startswith("private")
            assert "Cookie" in answer.headers["vary"]
        assert short.headers["etag"] != plain.headers["etag"]
        web.cookies.set("consentgate_variant", "plain")
        assert (await web.get(f"{base}texts.en.json")).json()["t"]["title"] == plain.json()["t"]["title"]
    # What the visitor was shown (the ledger's hash) covers the variants' texts.
    assert "Cookies?" in gate.injection.shown.decode()
