"""Consent regimes: per category, refused until granted (opt-in) or granted until refused (opt-out).

A regime gives every optional category a rule. The presets follow the rules of 2026:

- ``opt-in`` (also ``eu``): every category is refused until the visitor grants it. The EU/EEA
  (GDPR consent, ePrivacy Directive art. 5(3)) and Switzerland; the built-in default.
- ``uk-duaa``: ``analytics`` is granted until the visitor objects, every other category is opt-in.
  The UK's Data (Use and Access) Act 2025 lets statistics that improve the service run without
  consent, with a clear way to object (in force since 5 February 2026); advertising and social
  media still need consent.
- ``opt-out`` (also ``us-opt-out``): every category is granted until the visitor refuses it. The US
  states with an opt-out privacy law (California, Colorado, Connecticut, Virginia and the others):
  a right to opt out of sale, sharing and targeted advertising, with Global Privacy Control honoured
  as that opt-out (``[signals] gpc_refuses``).

A site defines its own in ``[region.custom.<name>]`` (``analytics = "opt-out"``; a category it does
not name is opt-in) and assigns regimes to regions in ``[region.regimes]`` (``GB = "uk-duaa"``).
This module is a leaf of the config package: plain data in, plain data out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..errors import ConfigError

__all__ = [
    "PRESETS",
    "RegionConfig",
    "Rule",
    "check_regimes",
    "default_grants",
    "regime_names",
    "regime_rules",
]

Rule = Literal["opt-in", "opt-out"]


@dataclass(frozen=True, slots=True)
class RegionConfig:
    """Where a visitor is, from trusted request headers only, and which regime applies there."""

    #: Headers set by the site's own CDN or proxy (e.g. ``CF-IPCountry``); nothing else is believed.
    trusted_headers: tuple[str, ...] = ()
    #: The regime of regions nothing else names: a preset (:data:`PRESETS`) or a name of ``custom``.
    default_regime: str = "opt-in"
    #: Country codes (``US``) or subdivisions (``US-CA``) where the opt-out regime applies.
    opt_out: tuple[str, ...] = ()
    #: Regions forced to opt-in even when ``default_regime`` is opt-out (EU/EEA/UK/CH always are).
    opt_in: tuple[str, ...] = ()
    #: Region code -> regime name (``GB = "uk-duaa"``); wins over ``opt_in``/``opt_out`` for that code.
    regimes: dict[str, str] = field(default_factory=dict)
    #: The site's own regimes: name -> {category: ``opt-in`` | ``opt-out``}; unnamed ones are opt-in.
    custom: dict[str, dict[str, Rule]] = field(default_factory=dict)


#: Each preset: the rule of the categories it does not name, then the categories it names.
PRESETS: dict[str, tuple[Rule, Mapping[str, Rule]]] = {
    "opt-in": ("opt-in", {}),
    "eu": ("opt-in", {}),
    "uk-duaa": ("opt-in", {"analytics": "opt-out"}),
    "opt-out": ("opt-out", {}),
    "us-opt-out": ("opt-out", {}),
}

#: EU and EEA members and Switzerland: no regime may grant a category there before consent.
_CONSENT_ONLY: frozenset[str] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
        "CH",
    ]
)
_REGION_RE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?\Z")
_NAME_RE = re.compile(r"^[a-z][a-z0-9\-]{0,31}\Z")


def regime_names(custom: Mapping[str, object]) -> tuple[str, ...]:
    """Every regime a region may be given: the presets, then the site's own."""
    return (*PRESETS, *custom)


def regime_rules(
    name: str, custom: Mapping[str, Mapping[str, Rule]], categories: Iterable[str]
) -> dict[str, Rule]:
    """The rule of every optional category (``necessary`` is always granted) under regime ``name``."""
    fallback, named = PRESETS.get(name) or ("opt-in", custom[name])
    return {c: named.get(c, fallback) for c in categories if c != "necessary"}


def default_grants(
    regimes: Iterable[str],
    custom: Mapping[str, Mapping[str, Rule]],
    categories: Collection[str],
    refused_by_signal: Collection[str],
) -> set[frozenset[str]]:
    """Every set of categories an undecided visitor can be granted by default, with or without a
    privacy signal, under any of ``regimes``."""
    grants = set()
    for name in regimes:
        rules = regime_rules(name, custom, categories)
        granted = frozenset({"necessary"} | {c for c, rule in rules.items() if rule == "opt-out"})
        grants |= {granted, granted - frozenset(refused_by_signal)}
    return grants


def check_regimes(
    default_regime: str,
    regimes: Mapping[str, str],
    custom: Mapping[str, Mapping[str, Rule]],
    categories: Collection[str],
) -> None:
    """Regime names are known, regions are ISO codes, custom regimes name known categories, and no
    region of the EU/EEA or Switzerland is given a regime that grants before consent.

    Raises :class:`~consentgate.errors.ConfigError` with one sentence naming the key.
    """
    for name, table in custom.items():
        where = f"region.custom.{name}"
        if name in PRESETS:
            raise ConfigError(f"{where!r} has the name of a built-in preset; give your regime another name.")
        if not _NAME_RE.match(name):
            raise ConfigError(
                f"{where!r}: a regime name is lower-case letters, digits and '-', such as 'gb-stats'."
            )
        for category in table:
            if category == "necessary":
                raise ConfigError(f"{where + '.necessary'!r}: 'necessary' is always granted; leave it out.")
            if category not in categories:
                raise ConfigError(
                    f"{where + '.' + category!r} names unknown category {category!r}; "
                    f"known categories are: {', '.join(categories)}."
                )
    known = regime_names(custom)
    wanted = [("region.default_regime", default_regime)]
    wanted += [(f"region.regimes.{code}", name) for code, name in regimes.items()]
    for where, name in wanted:
        if name not in known:
            raise ConfigError(
                f"{where!r} is {name!r}; use a preset ({', '.join(PRESETS)}) or a regime of [region.custom]."
            )
    for code, name in regimes.items():
        where = f"region.regimes.{code}"
        if not _REGION_RE.match(code):
            raise ConfigError(f"{where!r}: use an upper-case ISO code such as 'GB' or 'US-CA' as the key.")
        grants = [c for c, rule in regime_rules(name, custom, categories).items() if rule == "opt-out"]
        if code.split("-", 1)[0] in _CONSENT_ONLY and grants:
            raise ConfigError(
                f"{where!r} is {name!r}, which grants {', '.join(grants)} before consent; the EU/EEA "
                "and Switzerland need consent first (use 'opt-in')."
            )
