"""The admin page's HTML: server-rendered SVG bar charts of the request-log aggregates, no script.

Every text that comes from a request (paths, browser names) is escaped; the one stylesheet is inline
and allowed by its hash (:data:`CSS_HASH`) in the page's strict ``Content-Security-Policy``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import time
from typing import Any

from ..logs.stats import Stats

__all__ = ["CSS_HASH", "PERIODS", "render_page"]

#: The periods (hours) the page offers.
PERIODS = (1, 6, 24, 72, 168, 720)

_CSS = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#1b1b1b;padding:0 1em}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}table{border-collapse:collapse}"
    "td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}td.n{text-align:right}"
    "svg{display:block;margin:.5em 0}.bar{fill:#3a6ea5}.alt{fill:#c0623b}.lbl{font-size:12px;fill:#1b1b1b}"
    "form{margin:1em 0}.muted{color:#666}"
)


CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _hbars(items: list[tuple[str, int]], *, total: int | None = None, percent: bool = False) -> str:
    """A horizontal bar chart: one labelled bar per item."""
    if not items:
        return '<p class="muted">No data.</p>'
    top = max(count for _, count in items) or 1
    row, label_w, bar_w = 20, 260, 520
    parts = [
        f'<svg role="img" width="{label_w + bar_w + 90}" height="{row * len(items) + 4}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, count) in enumerate(items):
        y = i * row
        width = max(1, round(bar_w * count / top))
        shown = f"{count / total * 100:.1f} %" if percent and total else f"{count:,}"
        parts.append(
            f'<text class="lbl" x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_e(label[:40])}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{width}" height="{row - 6}"/>'
            f'<text class="lbl" x="{label_w + width + 6}" y="{y + 14}">{_e(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _rate_bars(rates: dict[str, float | None]) -> str:
    """Bars of shares (0..1), each on a full-width scale."""
    items = list(rates.items())
    if not items:
        return '<p class="muted">No page views with a consent summary.</p>'
    row, label_w, bar_w = 20, 260, 520
    parts = [
        f'<svg role="img" width="{label_w + bar_w + 90}" height="{row * len(items) + 4}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(items):
        y = i * row
        width = round(bar_w * (value or 0))
        parts.append(
            f'<text class="lbl" x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_e(label)}</text>'
            f'<rect class="alt" x="{label_w}" y="{y + 3}" width="{width}" height="{row - 6}"/>'
            f'<text class="lbl" x="{label_w + width + 6}" y="{y + 14}">{_e(_pct(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _hourly(stats: Stats) -> str:
    """Requests per hour over the period, one column per hour."""
    start = int(stats.since - stats.since % 3600)
    hours = list(range(start, int(stats.until), 3600))[-24 * 31 :]
    if not hours or not stats.hourly:
        return '<p class="muted">No requests in this period.</p>'
    counts = [stats.hourly.get(h, 0) for h in hours]
    top = max(counts) or 1
    width, height = 900, 160
    step = width / len(hours)
    parts = [f'<svg role="img" width="{width}" height="{height + 20}" xmlns="http://www.w3.org/2000/svg">']
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
        f"{_e(time.strftime('%Y-%m-%d %H:00', time.gmtime(hours[-1])))} UTC · max {top}/h</text></svg>"
    )
    return "".join(parts)


def render_page(stats: Stats, logging_enabled: bool = True, *, action: str = "/consentgate/admin/") -> str:
    """The admin page for ``stats`` (pure: no I/O)."""
    data = stats.to_json()
    consent = data["consent"]
    overall = consent["all"]
    rates = {"decided": overall["decided"], "GPC signal": overall["gpc"]}
    rates.update({f"granted: {name}": share for name, share in overall["granted"].items()})
    latency = data["latency_ms"]
    regions = "".join(
        f"<tr><td>{_e(region)}</td><td class=n>{r['views']:,}</td><td class=n>{_pct(r['decided'])}</td>"
        f"<td class=n>{_pct(r['gpc'])}</td><td>"
        + ", ".join(f"{_e(n)} {_pct(v)}" for n, v in r["granted"].items())
        + "</td></tr>"
        for region, r in consent["regions"].items()
    )
    periods = "".join(f'<option value="{h}">{h} h</option>' for h in PERIODS)
    note = (
        ""
        if logging_enabled
        else '<p class="muted">Request logging is off ([logging] enabled = false): nothing new is counted.</p>'
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>consentgate · requests</title><style>{_CSS}</style></head><body>"
        f"<h1>Requests {_e(data['since'])} to {_e(data['until'])}</h1>{note}"
        f'<form method="get" action="{_e(action)}"><label>Period <select name="hours">{periods}</select></label> '
        '<button type="submit">Show</button></form>'
        f"<p>{data['requests']:,} requests, {data['bytes']:,} bytes sent. Latency p50 "
        f"{_e(latency['p50'])} ms, p90 {_e(latency['p90'])} ms, p99 {_e(latency['p99'])} ms "
        '<span class="muted">(upper bounds of histogram buckets)</span>.</p>'
        f"<h2>Requests per hour</h2>{_hourly(stats)}"
        f"<h2>Status</h2>{_hbars(stats.breakdown('status'))}"
        f"<h2>Paths</h2>{_hbars(stats.breakdown('path', 20))}"
        f"<h2>Browsers</h2>{_hbars(stats.breakdown('browser', 10))}"
        f"<h2>Operating systems</h2>{_hbars(stats.breakdown('os', 10))}"
        f"<h2>Devices</h2>{_hbars(stats.breakdown('device'))}"
        f"<h2>Bots</h2>{_hbars(stats.breakdown('bot'), total=stats.requests, percent=True)}"
        f"<h2>Latency (ms)</h2>{_hbars(sorted(stats.breakdown('latency'), key=lambda i: float(i[0])))}"
        f"<h2>Consent, per page view (bots left out; {overall['views']:,} views)</h2>{_rate_bars(rates)}"
        "<table><tr><th>region</th><th>views</th><th>decided</th><th>GPC</th><th>granted</th></tr>"
        f"{regions}</table>"
        "</body></html>"
    )
