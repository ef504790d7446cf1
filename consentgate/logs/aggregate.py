"""Counting request lines into IP-free hourly aggregates: ``(hour, dimension, key) -> count`` rows.

Dimensions (per hour): ``requests``, ``bytes`` (a sum), ``path`` (the :data:`MAX_PATHS` most
requested, the rest as ``(other)``), ``status`` (``2xx``…), ``method``, ``browser``, ``os``,
``device``, ``bot`` (``yes``/``no``) and ``latency`` (a histogram with buckets a factor of
10^0.1 apart, so percentiles of any period come from summed buckets within 26 %). Consent rates,
without bots and only for lines that carry a consent summary (the site's pages, not the gate's own
routes), by region (``unknown`` when none is known): ``consent.views``, ``consent.decided``,
``consent.gpc`` and ``consent.granted.<category>``, per page view. No IP, no referrer, no time
finer than the hour.
"""

from __future__ import annotations

import bisect
import calendar
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

__all__ = ["LATENCY_BOUNDS", "MAX_PATHS", "Aggregator", "Row", "parse_lines"]

#: Paths kept per hour in the aggregates; the rest are counted as ``(other)``.
MAX_PATHS = 50
#: Upper bounds (ms) of the latency buckets: 0.1 ms to about 63 s, a factor of 10^0.1 apart.
LATENCY_BOUNDS: tuple[float, ...] = tuple(float(f"{10 ** (k / 10):.3g}") for k in range(-10, 49))

#: One aggregate: the hour (UTC seconds), the dimension, its key, the count.
Row = tuple[int, str, str, int]


def _line_time(text: Any) -> int | None:
    if not isinstance(text, str) or len(text) != 20 or text[10] != "T" or text[19] != "Z":
        return None
    try:
        return calendar.timegm(
            (
                int(text[0:4]),
                int(text[5:7]),
                int(text[8:10]),
                int(text[11:13]),
                int(text[14:16]),
                int(text[17:19]),
            )
        )
    except ValueError:
        return None


def _bucket(ms: float) -> str:
    at = bisect.bisect_left(LATENCY_BOUNDS, ms)
    return f"{LATENCY_BOUNDS[at]:g}" if at < len(LATENCY_BOUNDS) else "inf"


def _word(value: Any, default: str = "Other") -> str:
    return value[:64] if isinstance(value, str) and value else default


class Aggregator:
    """Counts parsed log lines into ``(hour, dimension, key)`` rows."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[int, str, str]] = Counter()
        self.lines = 0

    def add(self, line: dict[str, Any], t: int) -> None:
        """Count one line whose time is ``t`` (UTC seconds)."""
        hour = t - t % 3600
        c = self.counts
        self.lines += 1
        c[hour, "requests", ""] += 1
        size = line.get("bytes")
        if isinstance(size, int) and size > 0:
            c[hour, "bytes", ""] += size
        c[hour, "path", _word(line.get("path"), "/")[:256]] += 1
        status = line.get("status")
        c[
            hour,
            "status",
            f"{status // 100}xx" if isinstance(status, int) and 100 <= status < 600 else "other",
        ] += 1
        c[hour, "method", _word(line.get("method"), "OTHER")[:16]] += 1
        c[hour, "browser", _word(line.get("browser"))] += 1
        c[hour, "os", _word(line.get("os"))] += 1
        c[hour, "device", _word(line.get("device"), "other")] += 1
        bot = line.get("bot") is True
        c[hour, "bot", "yes" if bot else "no"] += 1
        ms = line.get("ms")
        if isinstance(ms, int | float) and ms >= 0:
            c[hour, "latency", _bucket(float(ms))] += 1
        consent = line.get("consent")
        if bot or not isinstance(consent, dict):
            return
        region = consent.get("region")
        region = region if isinstance(region, str) and region else "unknown"
        c[hour, "consent.views", region] += 1
        if consent.get("decided") is True:
            c[hour, "consent.decided", region] += 1
        if consent.get("gpc") is True:
            c[hour, "consent.gpc", region] += 1
        granted = consent.get("granted")
        if isinstance(granted, list):
            for name in granted:
                if isinstance(name, str) and name:
                    c[hour, f"consent.granted.{name[:32]}", region] += 1

    def rows(self) -> list[Row]:
        """The counts as store rows, the paths of each hour capped at :data:`MAX_PATHS`."""
        paths: dict[int, list[tuple[int, str]]] = {}
        rows: list[Row] = []
        for (hour, dimension, key), count in self.counts.items():
            if dimension == "path":
                paths.setdefault(hour, []).append((count, key))
            else:
                rows.append((hour, dimension, key, count))
        for hour, entries in paths.items():
            entries.sort(key=lambda e: (-e[0], e[1]))
            rows.extend((hour, "path", key, count) for count, key in entries[:MAX_PATHS])
            other = sum(count for count, _ in entries[MAX_PATHS:])
            if other:
                rows.append((hour, "path", "(other)", other))
        return rows


def parse_lines(data: bytes) -> Iterator[tuple[dict[str, Any] | None, int | None, bytes]]:
    """``(line, time, raw)`` for every line of ``data``; ``line`` is None when it is not valid."""
    for raw in data.splitlines(keepends=True):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            yield None, None, raw
            continue
        t = _line_time(line.get("t")) if isinstance(line, dict) else None
        yield (line if t is not None else None), t, raw
