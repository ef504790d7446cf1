"""The Open Cookie Database layer: cookie names the catalog's own services do not claim.

``data/open-cookie-database.csv`` ships unmodified; :func:`load_ocd` turns its rows into an
:class:`OcdTable` (exact names, and prefixes longest first), mapping its categories to ours and
applying our corrections from the ``[ocd]`` table of ``services.toml``. Where two rows name one
cookie, the more protective category wins.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from .service import CookieRule, Service

__all__ = ["FUNCTIONAL", "OCD_COLUMNS", "OcdEntry", "OcdTable", "load_ocd"]

#: Placeholder for the OCD's Functional / Personalization rows: a site decides what they are
#: (``cookie_filter.functional_category``); by default they are unknown.
FUNCTIONAL: Final = "\x00functional"

#: Columns of the upstream CSV we read (the refresh script checks they are all there).
OCD_COLUMNS: Final = (
    "Platform",
    "Category",
    "Cookie / Data Key name",
    "Description",
    "Retention period",
    "Data Controller",
    "User Privacy & GDPR Rights Portals",
    "Wildcard match",
)
_NAME_OK = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z:\[\]]+\Z")
#: How much a wrong row costs decides which of two rows for one name wins: the more protective.
_RANK = {"advertising": 4, "analytics": 3, FUNCTIONAL: 2, None: 1, "necessary": 0}


@dataclass(frozen=True, slots=True)
class OcdEntry:
    """One usable row of the Open Cookie Database, category already mapped to ours."""

    name: str
    prefix: bool
    category: str | None  # ours, or FUNCTIONAL, or None for "unknown"
    platform: str
    description: str
    retention: str
    controller: str
    privacy_url: str

    def service(self, category: str) -> Service:
        """The service this row's platform stands for, filed under ``category``."""
        return Service(
            id="ocd:" + _slug(self.platform),
            name=self.platform,
            provider=self.controller or self.platform,
            category=category,
            purpose=self.description,
            privacy_url=self.privacy_url,
        )


@dataclass(frozen=True, slots=True)
class OcdTable:
    """The database by cookie name: exact names, and prefix rows longest first."""

    exact: Mapping[str, OcdEntry]
    prefixes: tuple[OcdEntry, ...]

    def find(self, name: str) -> OcdEntry | None:
        """The row for a cookie name: its exact row, else the longest prefix row it starts with."""
        entry = self.exact.get(name)
        if entry is None:
            for candidate in self.prefixes:
                if name.startswith(candidate.name):
                    return candidate
        return entry


@dataclass(slots=True)
class _OcdRules:
    categories: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, str | dict[str, str]] = field(default_factory=dict)
    exact_only: frozenset[str] = frozenset()
    min_exact: int = 3
    min_prefix: int = 4


def load_ocd(rows: Iterable[Mapping[str, str]], table: Mapping[str, Any]) -> OcdTable:
    """The table from the CSV's ``rows`` and our ``[ocd]`` ``table`` (category map, corrections, limits)."""
    rules = _OcdRules(
        categories=dict(table.get("categories", {})),
        overrides=dict(table.get("overrides", {})),
        exact_only=frozenset(table.get("exact_only", ())),
        min_exact=int(table.get("min_exact_length", 3)),
        min_prefix=int(table.get("min_prefix_length", 4)),
    )
    exact: dict[str, OcdEntry] = {}
    prefixes: dict[str, OcdEntry] = {}
    for row in rows:
        entry = _ocd_entry(row, rules)
        if entry is None:
            continue
        table_ = prefixes if entry.prefix else exact
        held = table_.get(entry.name)
        if held is None or _RANK[entry.category] > _RANK[held.category]:
            table_[entry.name] = entry
    # Our corrections name cookies the database lacks too (or files wrongly): they always apply.
    for written, value in rules.overrides.items():
        rule = CookieRule.parse(written)
        category, platform = (
            (value, None) if isinstance(value, str) else (value["category"], value["platform"])
        )
        table_ = prefixes if rule.prefix else exact
        base = table_.get(rule.name)
        if base is None or (platform is not None and platform != base.platform):
            # Another setter than the row says: keep nothing of the row but the name.
            base = OcdEntry(rule.name, rule.prefix, None, platform or "", "", "", platform or "", "")
        mapped = FUNCTIONAL if category == "functional" else (category or None)
        table_[rule.name] = dataclasses.replace(base, prefix=rule.prefix, category=mapped)
    ordered = tuple(sorted(prefixes.values(), key=lambda e: -len(e.name)))
    return OcdTable(MappingProxyType(exact), ordered)


def _ocd_entry(row: Mapping[str, str], rules: _OcdRules) -> OcdEntry | None:
    name = (row.get("Cookie / Data Key name") or "").strip().replace("\xad", "")
    prefix = (row.get("Wildcard match") or "").strip() == "1"
    if name.endswith("*"):
        name, prefix = name.rstrip("*"), True
    if not name or not _NAME_OK.match(name):
        return None  # placeholders such as "pagead/conv/%INTEGER%", or names with spaces
    if prefix and (name in rules.exact_only or len(name) < rules.min_prefix):
        prefix = False  # a short prefix ("_s") would swallow the site's own cookies ("_session")
    if len(name) < (rules.min_prefix if prefix else rules.min_exact):
        return None
    raw = (row.get("Category") or "").strip()
    mapped = rules.categories.get(raw)
    category = None if not mapped else (FUNCTIONAL if mapped == "functional" else mapped)
    return OcdEntry(
        name=name,
        prefix=prefix,
        category=category,
        platform=(row.get("Platform") or "").strip(),
        description=(row.get("Description") or "").strip(),
        retention=(row.get("Retention period") or "").strip(),
        controller=(row.get("Data Controller") or "").strip(),
        privacy_url=(row.get("User Privacy & GDPR Rights Portals") or "").strip(),
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"
