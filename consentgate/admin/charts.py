"""The request-log part of the dashboard: server-rendered SVG bar charts of the aggregates, no script.

Every text that comes from a request (paths, browser names) is escaped; the page around it and its
one stylesheet are ``layout.py``'s. Each chart has a table of its numbers beside it.
"""

from __future__ import annotations

import time

from ..logs.stats import Stats
from .layout import esc as _e
from .layout import pct as _pct

__all__ = ["PERIODS", "requests_body"]

#: The periods (hours) the page offers.
PERIODS = (1, 6, 24, 72, 168, 720)


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg role="img" aria-label="{_e(label)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    )


def hbars(items: list[tuple[str, int]], label: str, *, total: int | None = None) -> str:
    """A horizontal bar chart: one labelled bar per item (shares of ``total`` when given)."""
    if not items:
        return '<p class="muted">No data.</p>'
    top = max(count for _, count in items) or 1
    row, label_w, bar_w = 20, 260, 420
    parts = [_svg_open(label_w + bar_w + 90, row * len(items) + 4, label)]
    for i, (name, count) in enumerate(items):
        y = i * row
        width = max(1, round(bar_w * count / top))
        shown = f"{count / total * 100:.1f} %" if total else f"{count:,}"
        parts.append(
            f'<text class="lbl" x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_e(name[:40])}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{width}" height="{row - 6}"/>'
            f'<text class="lbl" x="{label_w + width + 6}" y="{y + 14}">{_e(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def count_table(items: list[tuple[str, int]], caption: str, *, total: int | None = None) -> str:
    """The numbers of :func:`hbars` as a table."""
    rows = "".join(
        f"<tr><td>{_e(name)}</td><td class=n>{count:,}</td>"
        + (f"<td class=n>{_pct(count / total if total else None)}</td>" if total is not None else "")
        + "</tr>"
        for name, count in items
    )
    share = "<th class=n>share</th>" if total is not None else ""
    return (
        f'<div class="scroll" tabindex="0" role="region" aria-label="{_e(caption)} (numbers)">'
        f"<table><caption>{_e(caption)}</caption>"
        f"<tr><th>{_e(caption)}</th><th class=n>count</th>{share}</tr>{rows}</table></div>"
    )


def _pair(title: str, chart: str, table: str) -> str:
    return f'<h2>{_e(title)}</h2><div class="pair"><div>{chart}</div><div>{table}</div></div>'


def _hourly(stats: Stats) -> tuple[str, str]:
    """Requests per hour over the period, one column per hour, and its table."""
    start = int(stats.since - stats.since % 3600)
    hours = list(range(start, int(stats.until), 3600))[-24 * 31 :]
    if not hours or not stats.hourly:
        return '<p class="muted">No requests in this period.</p>', ""
    counts = [stats.hourly.get(h, 0) for h in hours]
    top = max(counts) or 1
    width, height = 640, 160
    step = width / len(hours)
    parts = [_svg_open(width, height + 20, "Requests per hour")]
    for i, (hour, count) in enumerate(zip(hours, counts, strict=True)):
        h = round(height * count / top)
        label = time.strftime("%Y-%m-%d %H:00", time.gmtime(hour))
        parts.append(
            f'<rect class="bar" x="{i * step:.1f}" y="{height - h}" width="{max(step - 1, 1):.1f}" '
            f'height="{h}"><title>{_e(label)}: {count}</title></rect>'
        )
    parts.append(
        f'<text class="lbl" x="0" y="{height + 15}">{_e(time.strftime("%Y-%m-%d %H:00", time.gmtime(hours[0])))}'
        f'</text><text class="lbl" x="{width}" y="{height + 15}" text-anchor="end">'
        f"{_e(time.strftime('%H:00', time.gmtime(hours[-1])))} UTC · max {top}/h</text></svg>"
    )
    rows = [
        (time.strftime("%Y-%m-%d %H:00", time.gmtime(h)), c) for h, c in zip(hours, counts, strict=True) if c
    ]
    return "".join(parts), count_table(rows, "Hour (UTC)")


def _latency(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g} ms"


def requests_body(stats: Stats, logging_enabled: bool, *, heading: str, form: str = "") -> str:
    """The request-log charts of ``stats``, each with its numbers in a table beside it (pure: no I/O)."""
    data = stats.to_json()
    consent = data["consent"]
    overall = consent["all"]
    latency = data["latency_ms"]
    note = (
        ""
        if logging_enabled
        else '<p class="notice">Request logging is off ([logging] enabled = false): nothing new is counted.</p>'
    )
    views = overall["views"]
    rates = [("decided", overall["decided"]), ("GPC signal", overall["gpc"])]
    rates += [(f"granted: {name}", share) for name, share in overall["granted"].items()]
    consent_rows = "".join(f"<tr><td>{_e(n)}</td><td class=n>{_pct(v)}</td></tr>" for n, v in rates)
    regions = "".join(
        f"<tr><td>{_e(region)}</td><td class=n>{r['views']:,}</td><td class=n>{_pct(r['decided'])}</td>"
        f"<td class=n>{_pct(r['gpc'])}</td></tr>"
        for region, r in consent["regions"].items()
    )
    parts = [
        f"<h1>{_e(heading)}</h1>{note}{form}",
        f"<p>{data['requests']:,} requests, {data['bytes']:,} bytes sent, {_e(data['since'])} to "
        f"{_e(data['until'])}. Latency p50 {_latency(latency['p50'])}, p90 {_latency(latency['p90'])}, "
        f"p99 {_latency(latency['p99'])} "
        '<span class="muted">(upper bounds of histogram buckets)</span>.</p>',
        _pair("Requests per hour", *_hourly(stats)),
    ]
    for title, dimension, limit in (
        ("Status", "status", None),
        ("Paths", "path", 20),
        ("Browsers", "browser", 10),
        ("Operating systems", "os", 10),
        ("Devices", "device", None),
    ):
        items = stats.breakdown(dimension, limit)
        parts.append(_pair(title, hbars(items, title), count_table(items, title)))
    bots = stats.breakdown("bot")
    parts.append(
        _pair(
            "Bots", hbars(bots, "Bots", total=stats.requests), count_table(bots, "Bots", total=stats.requests)
        )
    )
    latency_items = sorted(stats.breakdown("latency"), key=lambda i: float(i[0]))
    parts.append(
        _pair("Latency (ms)", hbars(latency_items, "Latency"), count_table(latency_items, "Latency (ms)"))
    )
    parts.append(
        f"<h2>Consent, per page view (bots left out; {views:,} views)</h2>"
        f'<div class="pair"><div><table><caption>Shares of page views</caption>'
        f"<tr><th>measure</th><th class=n>share</th></tr>{consent_rows}</table></div>"
        "<div><table><caption>By region</caption><tr><th>region</th><th class=n>views</th>"
        f"<th class=n>decided</th><th class=n>GPC</th></tr>{regions}</table></div></div>"
    )
    return "".join(parts)
