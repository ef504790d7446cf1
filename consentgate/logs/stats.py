"""Reading the request-log aggregates of a period: rolled-up hours from the store plus raw lines.

``consentgate logs stats`` and the admin page show a :class:`Stats`; :func:`collect_stats` builds it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import LoggingConfig
from ..store import Store
from .aggregate import Aggregator, Row, parse_lines
from .files import RawFile, raw_files

__all__ = ["Stats", "collect_stats"]


@dataclass(slots=True)
class Stats:
    """Aggregates of a period: totals by ``(dimension, key)`` and requests per hour."""

    since: float
    until: float
    totals: Counter[tuple[str, str]] = field(default_factory=Counter)
    hourly: Counter[int] = field(default_factory=Counter)

    def add_rows(self, rows: Iterable[Row]) -> None:
        """Add store rows (or :meth:`Aggregator.rows`) to the totals."""
        for hour, dimension, key, count in rows:
            self.totals[dimension, key] += count
            if dimension == "requests":
                self.hourly[hour] += count

    @property
    def requests(self) -> int:
        return self.totals["requests", ""]

    def breakdown(self, dimension: str, limit: int | None = None) -> list[tuple[str, int]]:
        """``(key, count)`` of one dimension, most frequent first."""
        items = sorted(
            ((key, count) for (d, key), count in self.totals.items() if d == dimension),
            key=lambda item: (-item[1], item[0]),
        )
        return items[:limit] if limit is not None else items

    def latency_percentile(self, p: float) -> float | None:
        """The upper bound (ms) of the bucket that holds the ``p`` quantile (0 < p <= 1), if any."""
        buckets = sorted((float(key), count) for (d, key), count in self.totals.items() if d == "latency")
        total = sum(count for _, count in buckets)
        if not total:
            return None
        seen = 0
        for bound, count in buckets:
            seen += count
            if seen >= p * total:
                return bound
        return buckets[-1][0]  # pragma: no cover

    def consent_rates(self) -> dict[str, Any]:
        """Shares per page view (without bots): decided, GPC, each granted category; overall and per region."""
        views = {key: count for (d, key), count in self.totals.items() if d == "consent.views"}

        def rates(region: str | None) -> dict[str, Any]:
            def share(dimension: str) -> float | None:
                if region is None:
                    total = sum(views.values())
                    part = sum(c for (d, _), c in self.totals.items() if d == dimension)
                else:
                    total = views.get(region, 0)
                    part = self.totals[dimension, region]
                return round(part / total, 4) if total else None

            categories = sorted(
                {
                    d.removeprefix("consent.granted.")
                    for (d, _) in self.totals
                    if d.startswith("consent.granted.")
                }
            )
            return {
                "views": sum(views.values()) if region is None else views.get(region, 0),
                "decided": share("consent.decided"),
                "gpc": share("consent.gpc"),
                "granted": {name: share(f"consent.granted.{name}") for name in categories},
            }

        return {"all": rates(None), "regions": {region: rates(region) for region in sorted(views)}}

    def to_json(self) -> dict[str, Any]:
        """Everything as plain JSON data (``consentgate logs stats --json``, the admin page)."""
        return {
            "since": _iso(self.since),
            "until": _iso(self.until),
            "requests": self.requests,
            "bytes": self.totals["bytes", ""],
            "hourly": [{"hour": _iso(h), "requests": n} for h, n in sorted(self.hourly.items())],
            "status": dict(self.breakdown("status")),
            "methods": dict(self.breakdown("method")),
            "paths": dict(self.breakdown("path", 20)),
            "browsers": dict(self.breakdown("browser", 10)),
            "os": dict(self.breakdown("os", 10)),
            "devices": dict(self.breakdown("device")),
            "bots": dict(self.breakdown("bot")),
            "latency_ms": {
                "p50": self.latency_percentile(0.5),
                "p90": self.latency_percentile(0.9),
                "p99": self.latency_percentile(0.99),
            },
            "consent": self.consent_rates(),
        }


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


async def collect_stats(config: LoggingConfig, store: Store, *, since: float, until: float) -> Stats:
    """Aggregates of ``[since, until)``: rolled-up hours from the store plus raw lines not rolled up yet.

    Rolled-up rows count by the hour they start in; raw lines by their own second.
    """
    stats = Stats(since, until)
    stats.add_rows(await store.log_rollups(since=since - since % 3600, until=until))
    if config.destination == "file":
        aggregator = await asyncio.to_thread(_aggregate_raw, Path(config.path), since, until)
        stats.add_rows(aggregator.rows())
    return stats


def _aggregate_raw(base: Path, since: float, until: float) -> Aggregator:
    aggregator = Aggregator()
    files: list[RawFile] = [f for f in raw_files(base) if f.end > since and f.start < until]
    for raw in files:
        try:
            data = raw.path.read_bytes()
        except FileNotFoundError:  # rolled up meanwhile
            continue
        for line, t, _ in parse_lines(data):
            if line is not None and t is not None and since <= t < until:
                aggregator.add(line, t)
    return aggregator
