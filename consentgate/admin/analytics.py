"""The consent figures the dashboard shows, from the store's SQL aggregates (pure: no I/O).

Kinds of choice: ``accept_all``, ``reject_all``, ``customised`` (the visitor saved their own
selection), ``withdrawn``, and ``other`` (a GPC or API opt-out recorded without the banner). A
category's grant rate is the share of the period's records whose choice grants it; the GPC share the
share of records made with the signal on. Comparisons between banner revisions and variants carry
95 % Wilson score intervals, which stay inside 0..1 and behave for small counts.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..store.analytics_base import ConsentCounts

__all__ = [
    "KINDS",
    "ConsentReport",
    "Rates",
    "build_report",
    "day_iso",
    "report_csv",
    "report_json",
    "wilson",
]

#: The kinds of choice, in the order the dashboard shows them.
KINDS: tuple[str, ...] = ("accept_all", "reject_all", "customised", "withdrawn", "other")
_KIND_OF = {
    "accept_all": "accept_all",
    "reject_all": "reject_all",
    "save_choices": "customised",
    "withdraw": "withdrawn",
}
_Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default); ``(0, 1)`` when ``n`` is 0."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(slots=True)
class Rates:
    """The records of one group (the whole period, a banner revision, a variant) and what they say."""

    records: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    granted: Counter[str] = field(default_factory=Counter)
    gpc: int = 0

    def add(self, action: str, gpc: int, chosen: str, count: int) -> None:
        """Add ``count`` records of one group of the store's breakdown."""
        self.records += count
        self.kinds[_KIND_OF.get(action, "other")] += count
        for category in chosen.strip(",").split(","):
            if category:
                self.granted[category] += count
        if gpc:
            self.gpc += count

    def share(self, count: int) -> float | None:
        """``count`` as a share of the records (None when there are none)."""
        return count / self.records if self.records else None

    def interval(self, count: int) -> tuple[float, float]:
        """The 95 % Wilson interval of ``count`` out of the records."""
        return wilson(count, self.records)


@dataclass(slots=True)
class ConsentReport:
    """Everything the consent page shows for one period and region."""

    first_day: int
    last_day: int
    region: str | None
    categories: tuple[str, ...]
    total: Rates
    #: ``(ISO date, {kind: count})`` for every day of the period, empty days included.
    daily: list[tuple[str, Counter[str]]]
    #: By ``(config revision, banner text hash)``, oldest revision first.
    revisions: dict[tuple[int, str], Rates]
    #: By variant name ("" is no variant).
    variants: dict[str, Rates]
    #: Records per region over the period.
    regions: list[tuple[str, int]]
    #: When each banner text was first shown (UTC seconds), by hash.
    first_seen: dict[str, float] = field(default_factory=dict)
    #: Page views and the share of them by visitors who had not chosen (request log), if known.
    views: int | None = None
    undecided: float | None = None


def day_iso(day: int) -> str:
    """UTC day number → ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")


def build_report(
    counts: ConsentCounts,
    *,
    first_day: int,
    last_day: int,
    region: str | None,
    categories: tuple[str, ...],
) -> ConsentReport:
    """The figures of ``counts`` (the store's aggregates of the period and region)."""
    total = Rates()
    revisions: dict[tuple[int, str], Rates] = {}
    variants: dict[str, Rates] = {}
    for revision, shown_hash, variant, action, gpc, chosen, count in counts.breakdown:
        total.add(action, gpc, chosen, count)
        revisions.setdefault((revision, shown_hash), Rates()).add(action, gpc, chosen, count)
        variants.setdefault(variant, Rates()).add(action, gpc, chosen, count)
    per_day: dict[int, Counter[str]] = {day: Counter() for day in range(first_day, last_day + 1)}
    for day, action, count in counts.by_day:
        if day in per_day:
            per_day[day][_KIND_OF.get(action, "other")] += count
    known = tuple(categories) + tuple(sorted(set(total.granted) - set(categories)))
    return ConsentReport(
        first_day,
        last_day,
        region,
        known,
        total,
        [(day_iso(day), kinds) for day, kinds in per_day.items()],
        dict(sorted(revisions.items())),
        dict(sorted(variants.items())),
        counts.regions,
    )


def _row(section: str, group: str, measure: str, count: int, rates: Rates) -> list[str]:
    low, high = rates.interval(count)
    share = rates.share(count)
    return [
        section,
        group,
        measure,
        str(count),
        str(rates.records),
        "" if share is None else f"{share:.4f}",
        f"{low:.4f}" if rates.records else "",
        f"{high:.4f}" if rates.records else "",
    ]


def _group_rows(section: str, group: str, rates: Rates, categories: tuple[str, ...]) -> list[list[str]]:
    rows = [_row(section, group, kind, rates.kinds[kind], rates) for kind in KINDS]
    rows += [_row(section, group, f"granted:{name}", rates.granted[name], rates) for name in categories]
    rows.append(_row(section, group, "gpc", rates.gpc, rates))
    return rows


def report_csv(report: ConsentReport) -> str:
    """What the consent page shows, as CSV: one row per figure, with its count, base and interval."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "group", "measure", "count", "of", "share", "ci95_low", "ci95_high"])
    period = f"{day_iso(report.first_day)}..{day_iso(report.last_day)}"
    region = report.region or "all"
    writer.writerows(_group_rows("period", f"{period} region={region}", report.total, report.categories))
    for date, kinds in report.daily:
        for kind in KINDS:
            writer.writerow(["daily", date, kind, str(kinds[kind]), "", "", "", ""])
    for (revision, shown_hash), rates in report.revisions.items():
        group = f"revision {revision} banner {shown_hash[:12]}"
        writer.writerows(_group_rows("revision", group, rates, report.categories))
    for variant, rates in report.variants.items():
        writer.writerows(_group_rows("variant", variant or "(none)", rates, report.categories))
    for name, count in report.regions:
        writer.writerow(["region", name or "(unknown)", "records", str(count), "", "", "", ""])
    if report.views is not None:
        undecided = "" if report.undecided is None else f"{report.undecided:.4f}"
        writer.writerow(["requests", "page views", "never chose", "", str(report.views), undecided, "", ""])
    return out.getvalue()


def _rates_json(rates: Rates, categories: tuple[str, ...]) -> dict[str, Any]:
    return {
        "records": rates.records,
        "kinds": {kind: rates.kinds[kind] for kind in KINDS},
        "granted": {name: rates.granted[name] for name in categories},
        "gpc": rates.gpc,
    }


def report_json(report: ConsentReport) -> dict[str, Any]:
    """What the consent page shows, as plain JSON data (``consent.json``)."""
    cats = report.categories
    return {
        "from": day_iso(report.first_day),
        "to": day_iso(report.last_day),
        "region": report.region,
        "total": _rates_json(report.total, cats),
        "daily": [{"day": date, **{kind: kinds[kind] for kind in KINDS}} for date, kinds in report.daily],
        "revisions": [
            {"revision": rev, "shown_hash": shown, **_rates_json(rates, cats)}
            for (rev, shown), rates in report.revisions.items()
        ],
        "variants": [
            {"variant": name, **_rates_json(rates, cats)} for name, rates in report.variants.items()
        ],
        "regions": dict(report.regions),
        "views": report.views,
        "undecided": report.undecided,
    }
