"""How much of the web's third parties the catalog gates, by third-party-web's own counts.

An entity is gated when the catalog knows every one of its domains and at least one of them is of
a category a visitor can refuse: a domain our own rules deliberately leave ``necessary`` (HubSpot's
form hosts beside its tracking code) does not count against it, an unknown one does. Per third-party-web category: the share of entities,
and the share weighted by the pages of the HTTP Archive crawl that load each entity
(``totalOccurrences``), with the most common entities left ungated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from .service import Service
from .tpw import TpwEntity

__all__ = ["TRACKING", "CategoryCoverage", "coverage", "entity_gated", "weighted_total"]

#: third-party-web's categories of trackers: the ones the catalog must gate.
TRACKING: Final = ("ad", "analytics", "marketing", "social", "tag-manager", "video", "customer-success")


class _HostLookup(Protocol):
    def match_host(self, host: str, /) -> Service | None: ...


@dataclass(frozen=True, slots=True)
class CategoryCoverage:
    """One third-party-web category: entities and HTTP Archive occurrences, in all and gated."""

    category: str
    entities: int
    gated_entities: int
    occurrences: int
    gated_occurrences: int
    missed: tuple[TpwEntity, ...]  # not gated, most common first

    @property
    def share(self) -> float:
        """The share of entities gated (1.0 for an empty category)."""
        return self.gated_entities / self.entities if self.entities else 1.0

    @property
    def weighted(self) -> float:
        """The share of occurrences gated (the entity share when the data has no counts)."""
        return self.gated_occurrences / self.occurrences if self.occurrences else self.share


def entity_gated(catalog: _HostLookup, entity: TpwEntity) -> bool:
    """Whether the catalog knows every domain of ``entity`` and gates one at least."""
    gated = False
    for host in entity.hosts:
        service = catalog.match_host(host)
        if service is None:
            return False
        gated = gated or service.category != "necessary"
    return gated


def coverage(catalog: _HostLookup, entities: Iterable[TpwEntity]) -> dict[str, CategoryCoverage]:
    """Coverage per third-party-web category, in the order categories first appear."""
    groups: dict[str, list[tuple[TpwEntity, bool]]] = {}
    for entity in entities:
        groups.setdefault(entity.category, []).append((entity, entity_gated(catalog, entity)))
    out: dict[str, CategoryCoverage] = {}
    for category, rows in groups.items():
        missed = sorted((e for e, gated in rows if not gated), key=lambda e: (-e.occurrences, e.name))
        out[category] = CategoryCoverage(
            category=category,
            entities=len(rows),
            gated_entities=sum(1 for _, gated in rows if gated),
            occurrences=sum(e.occurrences for e, _ in rows),
            gated_occurrences=sum(e.occurrences for e, gated in rows if gated),
            missed=tuple(missed),
        )
    return out


def weighted_total(report: dict[str, CategoryCoverage], categories: Iterable[str] = TRACKING) -> float:
    """The share of occurrences gated over several categories together."""
    rows = [report[c] for c in categories if c in report]
    total = sum(r.occurrences for r in rows)
    return sum(r.gated_occurrences for r in rows) / total if total else 1.0
