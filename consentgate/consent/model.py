"""The visitor's consent as the app sees it (``scope["consent"]``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Consent"]


@dataclass(frozen=True, slots=True)
class Consent:
    """What one visitor has granted, for this request.

    ``decided`` is false until the visitor has made a choice under the current config revision;
    until then ``categories`` holds the regime default (with privacy signals applied).
    """

    id: str | None
    decided: bool
    categories: Mapping[str, bool]
    gpc: bool
    revision: int
    regime: str
    region: str | None = None
    dnt: bool = False
    decided_at: int | None = None
    _granted: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once: the response path asks for it on every response that sets cookies.
        object.__setattr__(self, "_granted", frozenset(n for n, ok in self.categories.items() if ok))

    def allows(self, category: str) -> bool:
        """True when ``category`` may run for this visitor (``necessary`` always may)."""
        return category == "necessary" or self.categories.get(category, False)

    @property
    def granted(self) -> frozenset[str]:
        """The names of every granted category."""
        return self._granted

    def to_json(self) -> dict[str, Any]:
        """The state as ``GET /consentgate/consent`` answers it."""
        return {
            "id": self.id,
            "decided": self.decided,
            "categories": dict(self.categories),
            "gpc": self.gpc,
            "revision": self.revision,
            "regime": self.regime,
        }
