"""The scan report: what a scan found, grouped by service and category, and its JSON form.

A :class:`ScanReport` holds every page the crawl reached (with the reason when one could not be
scanned), the known services the pages load (:class:`ServiceFinding`), the third-party hosts the
catalog does not know (:class:`Unclassified`) and the cookies nobody classifies. ``failed`` is what
``consentgate scan`` turns into its exit status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..catalog import Service

__all__ = [
    "CookieFinding",
    "Item",
    "Occurrence",
    "PageResult",
    "ScanReport",
    "ServiceFinding",
    "Unclassified",
]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where something appears: a page and a line of its HTML."""

    page: str
    line: int


@dataclass(slots=True)
class Item:
    """One thing pages load (a script URL, an inline snippet, a frame…), with every place it appears.

    ``gated`` says whether the gate makes it inert for a visitor who has not granted its category;
    ``inert_in_page`` that the scanned pages already carried it inert (the site is behind the gate).
    """

    kind: str
    url: str
    excerpt: str = ""
    gated: bool = False
    inert_in_page: bool = False
    occurrences: list[Occurrence] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """This item as JSON-able data (part of :meth:`ScanReport.to_json`)."""
        return {
            "kind": self.kind,
            "url": self.url,
            "excerpt": self.excerpt,
            "gated": self.gated,
            "inert_in_page": self.inert_in_page,
            "occurrences": [{"page": o.page, "line": o.line} for o in self.occurrences],
        }


@dataclass(slots=True)
class CookieFinding:
    """A cookie: seen in a ``Set-Cookie`` header, or known from the catalog to be set by a found script."""

    name: str
    source: str  # "set-cookie" or "catalog"
    category: str | None
    service: str | None
    lifetime: str
    gated: bool
    pages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """This cookie as JSON-able data (part of :meth:`ScanReport.to_json`)."""
        return {
            "name": self.name,
            "source": self.source,
            "category": self.category,
            "service": self.service,
            "lifetime": self.lifetime,
            "gated": self.gated,
            "pages": list(self.pages),
        }


@dataclass(slots=True)
class ServiceFinding:
    """A known service the pages load, with what loads it and the cookies it brings."""

    service: Service
    items: list[Item] = field(default_factory=list)
    cookies: list[CookieFinding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """This service's findings as JSON-able data (part of :meth:`ScanReport.to_json`)."""
        s = self.service
        return {
            "id": s.id,
            "name": s.name,
            "provider": s.provider,
            "category": s.category,
            "items": [i.to_json() for i in self.items],
            "cookies": [c.to_json() for c in self.cookies],
        }


@dataclass(slots=True)
class Unclassified:
    """A third-party host the catalog does not know: the gate lets it run. ``snippet`` classifies it."""

    host: str
    snippet: str
    items: list[Item] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """This host as JSON-able data (part of :meth:`ScanReport.to_json`)."""
        return {"host": self.host, "snippet": self.snippet, "items": [i.to_json() for i in self.items]}


@dataclass(slots=True)
class PageResult:
    """One page the crawl reached: ``problem`` is empty when it was scanned."""

    url: str
    depth: int
    status: int | None = None
    problem: str = ""
    final_url: str = ""

    def to_json(self) -> dict[str, Any]:
        """This page as JSON-able data (part of :meth:`ScanReport.to_json`)."""
        return {
            "url": self.url,
            "depth": self.depth,
            "status": self.status,
            "problem": self.problem or None,
            "final_url": self.final_url or self.url,
        }


@dataclass(slots=True)
class ScanReport:
    """Everything a scan found. ``failed`` is true when anything is unclassified."""

    target: str
    pages: list[PageResult] = field(default_factory=list)
    services: dict[str, ServiceFinding] = field(default_factory=dict)
    unclassified: dict[str, Unclassified] = field(default_factory=dict)
    unknown_cookies: list[CookieFinding] = field(default_factory=list)
    categories: tuple[str, ...] = ()
    #: Same-origin links the page limit kept the crawl from following.
    not_followed: set[str] = field(default_factory=set)

    @property
    def broken_pages(self) -> list[PageResult]:
        """The pages that could not be scanned, with the reason."""
        return [p for p in self.pages if p.problem]

    @property
    def failed(self) -> bool:
        """True when a third-party host or a cookie is unclassified (exit status 1 for CI)."""
        return bool(self.unclassified or self.unknown_cookies)

    def by_category(self) -> list[tuple[str, list[ServiceFinding]]]:
        """The service findings grouped by category, in the config's category order."""
        order = {name: i for i, name in enumerate(self.categories)}
        groups: dict[str, list[ServiceFinding]] = {}
        for finding in self.services.values():
            groups.setdefault(finding.service.category, []).append(finding)
        return [
            (name, sorted(groups[name], key=lambda f: f.service.name.lower()))
            for name in sorted(groups, key=lambda n: (order.get(n, len(order)), n))
        ]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-able data (``consentgate scan --format json``)."""
        return {
            "target": self.target,
            "failed": self.failed,
            "pages": [p.to_json() for p in self.pages],
            "categories": {name: [f.to_json() for f in findings] for name, findings in self.by_category()},
            "unclassified": [u.to_json() for u in self.unclassified.values()],
            "unknown_cookies": [c.to_json() for c in self.unknown_cookies],
            "not_followed": sorted(self.not_followed),
        }
