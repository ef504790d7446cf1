"""The third-party-web layer: thousands of entities the web's pages load, under our own services.

``data/third-party-web-entities.json`` (patrickhulce/third-party-web, MIT) ships unmodified;
:func:`load_tpw` turns its entities into services by the rules of the ``[third_party_web]`` table
of ``services.toml``: its categories mapped onto ours, the categories that are not imported
wholesale (CDNs, hosting, utilities...), and the entities reviewed one by one (a payment provider
imported as ``necessary``, a tracker among the utilities imported as ``analytics``, an entity
left out). ``*.example.com`` covers the host and its subdomains, a plain domain only that host,
as in third-party-web's own lookup. docs/catalog.md explains the mapping.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .service import Service

__all__ = ["ID_PREFIX", "SKIP", "TpwEntity", "TpwLayer", "load_tpw"]

#: Every service made from an entity has an id starting with this (a site names it in [services]).
ID_PREFIX: Final = "tpw-"
#: The value of a reviewed entity that is not imported.
SKIP: Final = "skip"
_HOST_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


@dataclass(frozen=True, slots=True)
class TpwEntity:
    """One entity of the data as the coverage report needs it: what it is and how common."""

    name: str
    category: str  # third-party-web's category
    occurrences: int  # pages of the HTTP Archive crawl that load it (0 when the data has no count)
    hosts: tuple[str, ...]  # its domains, "*." stripped
    service_id: str | None  # the service it became, None when not imported


@dataclass(frozen=True, slots=True)
class TpwLayer:
    """The imported entities as services, by host suffix and by exact host, and every entity."""

    services: Mapping[str, Service]
    suffixes: Mapping[str, Service]
    exact: Mapping[str, Service]
    entities: tuple[TpwEntity, ...]
    categories: Mapping[str, str]  # third-party-web category -> ours (the mapped ones only)
    #: Where a service of a category the site's config lacks goes instead (functional -> analytics).
    fallbacks: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> TpwLayer:
        """No data at all (a catalog built from services alone)."""
        return cls({}, {}, {}, (), {})

    def for_categories(self, names: Collection[str]) -> TpwLayer:
        """This layer with services of a category not in ``names`` moved to its fallback."""
        moved: dict[str, Service | None] = {}
        for sid, service in self.services.items():
            if service.category not in names:
                fallback = self.fallbacks.get(service.category)
                if fallback is not None and fallback in names:
                    moved[sid] = dataclasses.replace(service, category=fallback)
        return self.replaced(moved)

    def replaced(self, changes: Mapping[str, Service | None]) -> TpwLayer:
        """This layer with some services replaced (a site's override) or removed (None)."""
        if not changes:
            return self

        def swap(table: Mapping[str, Service]) -> dict[str, Service]:
            out: dict[str, Service] = {}
            for key, service in table.items():
                new = changes.get(service.id, service)
                if new is not None:
                    out[key] = new
            return out

        return TpwLayer(
            swap(self.services),
            swap(self.suffixes),
            swap(self.exact),
            self.entities,
            self.categories,
            self.fallbacks,
        )


def load_tpw(entities: Iterable[Mapping[str, Any]], table: Mapping[str, Any]) -> TpwLayer:
    """The layer from the data's ``entities`` and our ``[third_party_web]`` ``table``.

    ``table["categories"]`` maps third-party-web categories to ours; ``table["entities"]`` maps an
    entity's name to our category or ``"skip"`` and wins over the category map. An entity of a
    category neither maps nor names is not imported.
    """
    categories: dict[str, str] = dict(table.get("categories", {}))
    reviewed: dict[str, str] = dict(table.get("entities", {}))
    services: dict[str, Service] = {}
    suffixes: dict[str, Service] = {}
    exact: dict[str, Service] = {}
    rows: list[TpwEntity] = []
    for raw in entities:
        name = str(raw.get("name", "")).strip()
        their = str(raw.get("category", "")).strip()
        ours = reviewed.get(name, categories.get(their))
        wildcards: list[str] = []
        plain: list[str] = []
        for domain in raw.get("domains", ()):
            domain = str(domain).strip().lower()
            wildcard = domain.startswith("*.")
            host = domain[2:] if wildcard else domain
            if _is_host(host):  # not an IP address or a malformed entry: never a host we match
                (wildcards if wildcard else plain).append(host)
        hosts = (*wildcards, *plain)
        sid: str | None = None
        if name and ours and ours != SKIP:
            sid = _unique(ID_PREFIX + _slug(name), services)
            service = Service(
                id=sid, name=name, provider=str(raw.get("company") or name), category=ours, hosts=hosts
            )
            services[sid] = service
            for host in wildcards:
                suffixes.setdefault(host, service)
            for host in plain:
                exact.setdefault(host, service)
        rows.append(TpwEntity(name, their, _count(raw.get("totalOccurrences")), hosts, sid))
    fallbacks = dict(table.get("fallbacks", {}))
    return TpwLayer(services, suffixes, exact, tuple(rows), categories, fallbacks)


def _is_host(host: str) -> bool:
    return (
        "." in host
        and _HOST_CHARS.issuperset(host)
        and host[0] not in ".-"
        and host[-1] not in ".-"
        and not host.replace(".", "").isdigit()
    )


def _count(value: object) -> int:
    if isinstance(value, int | float | str):
        try:
            return max(0, int(value))
        except ValueError:
            return 0
    return 0


def _unique(sid: str, taken: Mapping[str, Service]) -> str:
    if sid not in taken:
        return sid
    n = 2
    while f"{sid}-{n}" in taken:
        n += 1
    return f"{sid}-{n}"


def _slug(text: str) -> str:
    # Service ids are at most 64 characters of [a-z0-9-] (the config's rule), prefix included.
    return (re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "entity")[:56].strip("-")
