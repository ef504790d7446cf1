"""Decision rules: regime defaults, region, privacy signals and the visitor's own choice."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from ..config import OPT_IN_REGIONS, Config
from ..config.regimes import Rule, regime_names, regime_rules
from .cookie import StoredChoice
from .model import Consent

__all__ = ["Decider"]

_CACHE_SIZE = 8192
_REGION_RE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?\Z")


class Decider:
    """Turns request headers and a verified cookie into a :class:`Consent`.

    Everything that depends only on the config is computed here once, at start-up.
    """

    def __init__(self, config: Config) -> None:
        self._config = config
        self._revision = config.revision
        self._trusted = tuple(h.lower().encode("latin-1") for h in config.region.trusted_headers)
        #: False when no region header is trusted: the middleware then skips the header look-up.
        self.uses_region = bool(self._trusted)
        self._opt_out = frozenset(config.region.opt_out)
        self._opt_in = frozenset(config.region.opt_in) | frozenset(OPT_IN_REGIONS)
        self._named = dict(config.region.regimes)
        self._default_regime = config.region.default_regime
        self._refused_by_signal = frozenset(config.signals.gpc_refuses)
        self._honour_dnt = config.signals.honour_dnt
        self._choice_wins = config.signals.choice_overrides_gpc
        names = config.category_names
        custom = config.region.custom
        #: Every regime's rule per optional category, and the default state it gives an undecided visitor.
        self._rules: dict[str, dict[str, Rule]] = {
            name: regime_rules(name, custom, names) for name in regime_names(custom)
        }
        self._defaults = {
            regime: {name: name == "necessary" or rules[name] == "opt-out" for name in names}
            for regime, rules in self._rules.items()
        }
        self._names = names
        # Most requests repeat a handful of inputs (no cookie; a few cookies of returning visitors).
        self._decided: dict[tuple[StoredChoice | None, str | None, bool, bool], Consent] = {}

    def region(self, headers: Mapping[bytes, bytes]) -> str | None:
        """The region from the first trusted header that holds a valid code, else None."""
        for name in self._trusted:
            raw = headers.get(name)
            if raw:
                code = raw.decode("latin-1").strip().upper()
                if _REGION_RE.match(code):
                    return code
        return None

    def regime(self, region: str | None) -> str:
        """The name of the regime that applies in ``region`` (a preset or one of the site's own).

        ``[region.regimes]`` and the opt-in lists are looked up most specific code first (``US-CA``,
        then ``US``), a named regime before the opt-in list at the same code; the opt-out list only
        applies where neither names the region or its country, so it never overrides an opt-in.
        """
        if region is None:
            return self._default_regime
        country = region.split("-", 1)[0]
        for code in (region, country):
            named = self._named.get(code)
            if named is not None:
                return named
            if code in self._opt_in:
                return "opt-in"
        if region in self._opt_out or country in self._opt_out:
            return "opt-out"
        return self._default_regime

    def regimes(self, region: str | None) -> dict[str, str]:
        """The rule applied per optional category in ``region``: ``opt-in`` or ``opt-out``."""
        return dict(self._rules[self.regime(region)])

    def decide(
        self,
        choice: StoredChoice | None,
        *,
        region: str | None,
        gpc: bool,
        dnt: bool,
    ) -> Consent:
        """The visitor's consent; the same inputs give the same (immutable, shared) object."""
        key = (choice, region, gpc, dnt)
        consent = self._decided.get(key)
        if consent is None:
            consent = self._decide(choice, region=region, gpc=gpc, dnt=dnt)
            if len(self._decided) >= _CACHE_SIZE:
                del self._decided[next(iter(self._decided))]  # the oldest entry
            self._decided[key] = consent
        return consent

    def _decide(
        self,
        choice: StoredChoice | None,
        *,
        region: str | None,
        gpc: bool,
        dnt: bool,
    ) -> Consent:
        regime = self.regime(region)
        decided = choice is not None and choice.revision == self._revision
        if decided:
            assert choice is not None
            categories = {name: name == "necessary" or name in choice.granted for name in self._names}
        else:
            categories = dict(self._defaults[regime])
        signal = gpc or (dnt and self._honour_dnt)
        if signal and not (decided and self._choice_wins):
            for name in self._refused_by_signal:
                categories[name] = False
        return Consent(
            id=choice.consent_id if choice is not None else None,
            decided=decided,
            categories=MappingProxyType(categories),
            gpc=gpc,
            revision=self._revision,
            regime=regime,
            region=region,
            dnt=dnt,
            decided_at=choice.decided_at if decided and choice is not None else None,
        )
