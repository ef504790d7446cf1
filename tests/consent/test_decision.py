"""Decision rules (:class:`Decider`): regimes, regions, GPC/DNT, revisions and the decision cache."""

from __future__ import annotations

from typing import Any

import httpx

from consentgate.config import load_config
from consentgate.consent.cookie import StoredChoice
from consentgate.consent.decision import Decider
from tests.support.site import GateFactory, client_for

ALL = ("necessary", "analytics", "advertising", "social")


def _decider(**config: Any) -> Decider:
    return Decider(load_config(**config))


def _granted(consent: Any) -> set[str]:
    return {name for name, ok in consent.categories.items() if ok}


def _choice(*granted: str, revision: int = 1, consent_id: str = "abc") -> StoredChoice:
    return StoredChoice(consent_id, frozenset({"necessary", *granted}), revision, 1700000000)


# --- regimes and regions ------------------------------------------------------------------------


def test_a_country_listed_opt_out_covers_its_subdivisions() -> None:
    decider = _decider(region={"opt_out": ["US"]})
    assert decider.regime("US") == "opt-out"
    assert decider.regime("US-TX") == "opt-out"
    assert decider.regime("JP") == "opt-in"  # not listed: the default regime
    assert decider.regime(None) == "opt-in"


def test_a_subdivision_listed_opt_out_leaves_the_rest_of_its_country_alone() -> None:
    decider = _decider(region={"opt_out": ["US-TX"]})
    assert decider.regime("US-TX") == "opt-out"
    assert decider.regime("US-CA") == "opt-in"
    assert decider.regime("US") == "opt-in"


def test_opt_in_wins_over_opt_out_and_the_default() -> None:
    decider = _decider(region={"default_regime": "opt-out", "opt_out": ["US"], "opt_in": ["US-CA"]})
    assert decider.regime("US-CA") == "opt-in"
    assert decider.regime("US-NY") == "opt-out"
    assert decider.regime("DE-BY") == "opt-in"  # EU subdivisions too, listed or not
    assert decider.regime("BR") == "opt-out"
    assert decider.regime(None) == "opt-out"


def test_region_from_the_first_trusted_header_with_a_valid_code() -> None:
    decider = _decider(region={"trusted_headers": ["CF-IPCountry", "X-Region"]})
    assert decider.uses_region is True
    assert decider.region({b"cf-ipcountry": b" us \t", b"x-region": b"DE"}) == "US"
    assert decider.region({b"cf-ipcountry": b"XX1", b"x-region": b"us-ca"}) == "US-CA"
    assert decider.region({b"cf-ipcountry": b"", b"x-region": b"FR"}) == "FR"
    assert decider.region({b"cf-ipcountry": b"U", b"x-region": b"US-CALI"}) is None
    assert decider.region({b"x-country": b"US"}) is None
    assert _decider().uses_region is False
    assert _decider().region({b"cf-ipcountry": b"US"}) is None


# --- defaults, choices and signals --------------------------------------------------------------


def test_undecided_defaults_by_regime() -> None:
    decider = _decider(region={"opt_out": ["US"]})
    opt_in = decider.decide(None, region="DE", gpc=False, dnt=False)
    assert (opt_in.decided, opt_in.regime, opt_in.id, _granted(opt_in)) == (
        False,
        "opt-in",
        None,
        {"necessary"},
    )
    opt_out = decider.decide(None, region="US", gpc=False, dnt=False)
    assert (opt_out.regime, _granted(opt_out)) == ("opt-out", set(ALL))


def test_the_consent_carries_its_inputs() -> None:
    decider = _decider(region={"opt_out": ["US"]}, signals={"honour_dnt": True}, revision=3)
    consent = decider.decide(_choice("social", revision=3), region="US-TX", gpc=True, dnt=True)
    assert consent.decided is True
    assert consent.id == "abc"
    assert consent.region == "US-TX"
    assert consent.gpc is True and consent.dnt is True
    assert consent.revision == 3
    assert consent.decided_at == 1700000000
    assert consent.regime == "opt-out"
    quiet = decider.decide(None, region=None, gpc=False, dnt=False)
    assert (quiet.region, quiet.gpc, quiet.dnt, quiet.decided_at) == (None, False, False, None)


def test_a_choice_under_an_old_revision_is_undecided_but_keeps_its_id() -> None:
    decider = _decider(region={"default_regime": "opt-out"}, revision=2)
    consent = decider.decide(_choice(revision=1), region=None, gpc=False, dnt=False)
    assert consent.decided is False
    assert consent.id == "abc"
    assert consent.decided_at is None
    assert _granted(consent) == set(ALL)  # the regime default, not the old choice


def test_a_choice_grants_exactly_its_categories_plus_necessary() -> None:
    decider = _decider(region={"default_regime": "opt-out"})
    consent = decider.decide(
        StoredChoice("abc", frozenset({"analytics", "gone"}), 1, 1), region=None, gpc=False, dnt=False
    )
    assert dict(consent.categories) == {
        "necessary": True,
        "analytics": True,
        "advertising": False,
        "social": False,
    }


def test_gpc_refuses_the_configured_categories_even_after_a_choice() -> None:
    decider = _decider(region={"default_regime": "opt-out"}, signals={"gpc_refuses": ["analytics"]})
    assert _granted(decider.decide(None, region=None, gpc=True, dnt=False)) == {
        "necessary",
        "advertising",
        "social",
    }
    chosen = decider.decide(_choice("analytics", "social"), region=None, gpc=True, dnt=False)
    assert _granted(chosen) == {"necessary", "social"}


def test_dnt_counts_only_when_honoured() -> None:
    ignored = _decider(region={"default_regime": "opt-out"})
    consent = ignored.decide(None, region=None, gpc=False, dnt=True)
    assert consent.dnt is True and _granted(consent) == set(ALL)
    honoured = _decider(region={"default_regime": "opt-out"}, signals={"honour_dnt": True})
    consent = honoured.decide(None, region=None, gpc=False, dnt=True)
    assert consent.dnt is True and consent.gpc is False
    assert _granted(consent) == {"necessary", "analytics"}


def test_a_choice_may_win_over_the_signals_only_when_configured() -> None:
    config = {"region": {"default_regime": "opt-out"}, "signals": {"honour_dnt": True}}
    choice = _choice("analytics", "advertising", "social")
    strict = _decider(**config)
    assert _granted(strict.decide(choice, region=None, gpc=False, dnt=True)) == {"necessary", "analytics"}
    lenient = _decider(**{**config, "signals": {"honour_dnt": True, "choice_overrides_gpc": True}})
    assert _granted(lenient.decide(choice, region=None, gpc=True, dnt=True)) == set(ALL)
    # Without a choice of their own the signal still refuses.
    assert _granted(lenient.decide(None, region=None, gpc=True, dnt=False)) == {"necessary", "analytics"}


# --- the decision cache -------------------------------------------------------------------------


def test_the_same_inputs_give_the_same_object() -> None:
    decider = _decider()
    choice = _choice("analytics")
    first = decider.decide(choice, region="US", gpc=False, dnt=False)
    assert decider.decide(_choice("analytics"), region="US", gpc=False, dnt=False) is first
    assert decider.decide(choice, region="US", gpc=True, dnt=False) is not first


def test_each_input_is_part_of_the_cache_key() -> None:
    decider = _decider(region={"default_regime": "opt-out", "opt_in": ["CA"]}, signals={"honour_dnt": True})
    base = decider.decide(None, region="US", gpc=False, dnt=False)
    assert _granted(base) == set(ALL)
    # A visitor differing in one input only must not get the cached decision of another.
    dnt = decider.decide(None, region="US", gpc=False, dnt=True)
    assert dnt.dnt is True and _granted(dnt) == {"necessary", "analytics"}
    gpc = decider.decide(None, region="US", gpc=True, dnt=False)
    assert gpc.gpc is True and _granted(gpc) == {"necessary", "analytics"}
    canada = decider.decide(None, region="CA", gpc=False, dnt=False)
    assert canada.regime == "opt-in" and _granted(canada) == {"necessary"}
    chosen = decider.decide(_choice(), region="US", gpc=False, dnt=False)
    assert chosen.decided is True and _granted(chosen) == {"necessary"}


def test_the_cache_stays_bounded_and_right_past_its_size() -> None:
    decider = _decider(region={"default_regime": "opt-out"})
    first = decider.decide(_choice(consent_id="first"), region=None, gpc=False, dnt=False)
    for i in range(10_000):
        consent = decider.decide(_choice("analytics", consent_id=str(i)), region=None, gpc=False, dnt=False)
        assert consent.id == str(i)
    again = decider.decide(_choice(consent_id="first"), region=None, gpc=False, dnt=False)
    assert again is not first  # evicted long ago, decided afresh
    assert again == first


async def test_dnt_visitor_after_a_plain_one_through_http(make_gate: GateFactory) -> None:
    gate = make_gate(region={"default_regime": "opt-out"}, signals={"honour_dnt": True})
    try:
        async with client_for(gate) as client:
            plain = (await client.get("/consentgate/consent")).json()
            assert all(plain["categories"].values())
            signalled: httpx.Response = await client.get("/whoami", headers={"dnt": "1"})
            assert signalled.json()["allows"] == {
                "necessary": True,
                "analytics": True,
                "advertising": False,
                "social": False,
            }
            assert all((await client.get("/whoami")).json()["allows"].values())
    finally:
        await gate.aclose()
