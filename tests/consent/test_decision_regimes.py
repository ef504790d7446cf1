"""Per-category regional defaults: the presets (EU/EEA opt-in, UK DUAA, US opt-out), a site's own
regimes, which region gets which, the config errors, and what reaches the visitor through real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from consentgate.config import load_config
from consentgate.config.regimes import PRESETS
from consentgate.consent.cookie import StoredChoice
from consentgate.consent.decision import Decider
from consentgate.errors import ConfigError
from tests.support.api import SAME_ORIGIN
from tests.support.site import GateFactory, client_for

OPTIONAL = ("analytics", "advertising", "social")
GB = {"trusted_headers": ["X-Region"], "regimes": {"GB": "uk-duaa"}}


def _decider(**region: Any) -> Decider:
    return Decider(load_config(region=region))


def _default(decider: Decider, region: str | None, *, gpc: bool = False) -> set[str]:
    consent = decider.decide(None, region=region, gpc=gpc, dnt=False)
    assert consent.decided is False
    return {name for name, ok in consent.categories.items() if ok}


# --- the presets, one rule each ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "granted"),
    [
        ("opt-in", set()),
        ("eu", set()),  # EU/EEA: consent first, for every category
        ("uk-duaa", {"analytics"}),  # UK DUAA 2025: statistics until refused, the rest opt-in
        ("opt-out", set(OPTIONAL)),
        ("us-opt-out", set(OPTIONAL)),  # US opt-out states: everything until refused
    ],
)
def test_each_preset_grants_by_default_exactly_what_its_rule_says(preset: str, granted: set[str]) -> None:
    decider = _decider(default_regime=preset)
    assert _default(decider, None) == {"necessary", *granted}
    assert decider.regime(None) == preset
    assert decider.regimes(None) == {c: "opt-out" if c in granted else "opt-in" for c in OPTIONAL}


def test_every_preset_is_tested_here() -> None:
    assert set(PRESETS) == {"opt-in", "eu", "uk-duaa", "opt-out", "us-opt-out"}


def test_gpc_refuses_its_categories_under_every_preset_but_not_statistics_under_duaa() -> None:
    uk = _decider(default_regime="uk-duaa")
    assert _default(uk, None, gpc=True) == {"necessary", "analytics"}
    us = _decider(default_regime="us-opt-out")
    assert _default(us, None, gpc=True) == {"necessary", "analytics"}  # GPC: no sale, sharing, ads


def test_a_choice_wins_over_the_regime_default() -> None:
    decider = _decider(default_regime="uk-duaa")
    refused = decider.decide(
        StoredChoice("c", frozenset({"necessary"}), 1, 1_700_000_000), region=None, gpc=False, dnt=False
    )
    assert refused.decided and {n for n, ok in refused.categories.items() if ok} == {"necessary"}


# --- which region gets which regime ---------------------------------------------------------------


def test_gb_is_opt_in_until_the_site_names_a_regime_for_it() -> None:
    assert _default(_decider(), "GB") == {"necessary"}
    assert _decider().regime("GB") == "opt-in"
    decider = _decider(**GB)
    assert decider.regime("GB") == "uk-duaa"
    assert decider.regime("GB-SCT") == "uk-duaa"  # a subdivision follows its country
    assert _default(decider, "GB") == {"necessary", "analytics"}
    assert _default(decider, "FR") == {"necessary"}  # the EU stays opt-in
    assert decider.regimes("FR") == dict.fromkeys(OPTIONAL, "opt-in")


def test_the_most_specific_code_wins_and_opt_out_never_overrides_an_opt_in() -> None:
    decider = _decider(regimes={"US": "us-opt-out", "US-TX": "uk-duaa"}, opt_in=["US-CA"], opt_out=["BR"])
    assert decider.regime("US-NY") == "us-opt-out"
    assert decider.regime("US-TX") == "uk-duaa"
    assert decider.regime("US-CA") == "opt-in"
    assert decider.regime("BR") == "opt-out"
    listed_both = _decider(opt_in=["US"], opt_out=["US-CA"])  # as before: opt-in at any level wins
    assert listed_both.regime("US-CA") == "opt-in"


def test_a_site_regime_sets_each_category_separately() -> None:
    decider = _decider(
        default_regime="stats-only",
        custom={
            "stats-only": {"analytics": "opt-out"},
            "social-too": {"analytics": "opt-out", "social": "opt-out"},
        },
        regimes={"JP": "social-too"},
    )
    assert _default(decider, None) == {"necessary", "analytics"}
    assert _default(decider, "JP") == {"necessary", "analytics", "social"}
    assert decider.regimes("JP") == {"analytics": "opt-out", "advertising": "opt-in", "social": "opt-out"}


def test_the_old_keys_keep_working() -> None:
    decider = _decider(default_regime="opt-out", opt_out=["US"], opt_in=["CA"])
    assert decider.regime("CA") == "opt-in"
    assert decider.regime("US") == "opt-out"
    assert _default(decider, "US") == {"necessary", *OPTIONAL}
    assert _default(decider, "DE") == {"necessary"}


# --- config errors: one sentence naming the key ----------------------------------------------------


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ({"default_regime": "gdpr"}, r"'region\.default_regime' is 'gdpr'; use a preset \(opt-in, "),
        ({"regimes": {"GB": "uk"}}, r"'region\.regimes\.GB' is 'uk'; use a preset"),
        ({"regimes": {"gb": "uk-duaa"}}, r"'region\.regimes\.gb': use an upper-case ISO code"),
        (
            {"regimes": {"DE": "uk-duaa"}},
            r"'region\.regimes\.DE' is 'uk-duaa', which grants analytics before",
        ),
        ({"regimes": {"FR-75": "us-opt-out"}}, r"EU/EEA and Switzerland need consent first"),
        (
            {"custom": {"eu": {"analytics": "opt-out"}}},
            r"'region\.custom\.eu' has the name of a built-in preset",
        ),
        (
            {"custom": {"x": {"necessary": "opt-in"}}},
            r"'region\.custom\.x\.necessary': 'necessary' is always",
        ),
        ({"custom": {"x": {"ads": "opt-in"}}}, r"'region\.custom\.x\.ads' names unknown category 'ads'"),
        (
            {"custom": {"x": {"analytics": "granted"}}},
            r"'region\.custom\.x\.analytics' is 'granted'; allowed",
        ),
        ({"custom": {"Big Name": {}}}, r"'region\.custom\.Big Name': a regime name is lower-case"),
    ],
)
def test_a_bad_regime_config_is_refused_at_start_up(region: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(region=region)


def test_gb_may_take_the_duaa_preset_and_eu_countries_may_name_opt_in() -> None:
    config = load_config(region={"regimes": {"GB": "uk-duaa", "DE": "eu", "CH": "opt-in"}})
    assert config.region.regimes["GB"] == "uk-duaa"


# --- through real HTTP ---------------------------------------------------------------------------

_PAGE = (
    "<!doctype html><html><head><title>t</title>"
    '<script src="https://www.google-analytics.com/analytics.js"></script>'
    '<script src="https://www.googleadservices.com/pagead/conversion.js"></script>'
    "</head><body><p>hello</p></body></html>"
)


async def _page(request: Request) -> Response:
    return HTMLResponse(_PAGE)


async def test_a_uk_visitor_gets_analytics_before_any_choice_and_the_ledger_says_why(
    make_gate: GateFactory,
) -> None:
    app = Starlette(routes=[Route("/", _page)])
    custom = {"social-too": {"analytics": "opt-out", "social": "opt-out"}}
    region = {**GB, "regimes": {"GB": "uk-duaa", "JP": "social-too"}, "custom": custom}
    gate = make_gate(app, region=region, mode="per_visitor")
    try:
        async with client_for(gate) as web:
            uk = await web.get("/", headers={"x-region": "GB"})
            fr = await web.get("/", headers={"x-region": "FR"})
            jp = await web.get("/", headers={"x-region": "JP"})
            state = (await web.get("/consentgate/consent", headers={"x-region": "GB"})).json()
            objected = await web.post(
                "/consentgate/consent",
                json={"action": "reject_all"},
                headers={**SAME_ORIGIN, "x-region": "GB"},
            )
            after = await web.get("/", headers={"x-region": "GB"})
        # The default state cookie tells the banner what runs; the page keeps analytics live.
        assert "consentgate_state=1.0.necessary-analytics;" in uk.headers["set-cookie"]
        assert '<script src="https://www.google-analytics.com/analytics.js">' in uk.text
        assert '<script src="https://www.googleadservices.com/pagead/conversion.js">' not in uk.text
        assert '<script src="https://www.google-analytics.com/analytics.js">' not in fr.text
        assert "consentgate_state=1." not in fr.headers.get("set-cookie", "")
        assert "consentgate_state=1.0.necessary-analytics-social;" in jp.headers["set-cookie"]
        assert (state["decided"], state["regime"], state["categories"]["analytics"]) == (
            False,
            "uk-duaa",
            True,
        )
        # Objecting stops analytics on the very next page.
        assert objected.status_code == 200 and objected.json()["categories"]["analytics"] is False
        assert '<script src="https://www.google-analytics.com/analytics.js">' not in after.text
        [record] = await (await gate.store()).records(objected.json()["id"])
        assert (record.regime, record.region) == ("uk-duaa", "GB")
        assert record.regimes == {"analytics": "opt-out", "advertising": "opt-in", "social": "opt-in"}
    finally:
        await gate.aclose()
