"""The admin page: ``GET /consentgate/admin/`` shows the request-log aggregates as charts.

Behind an API key with the ``read`` scope (``consentgate keys create --scope read``), given as
``Authorization: Bearer <key>`` or as the password of HTTP Basic auth (any user name), so a browser
asks for it with its own dialog. ``GET /consentgate/admin/stats.json`` answers the same figures as
JSON. The period is ``?hours=N`` (default 24) before now, or ``?since=…&until=…`` (ISO 8601 UTC).

The page is one server-rendered HTML document with inline SVG charts: no script at all, one
stylesheet allowed by its hash in a strict ``Content-Security-Policy``; every text that comes from a
request (paths, browser names) is escaped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from ..api import keys as api_keys
from ..consent.routes import send_json
from ..errors import HTTPError
from ..logs.rollup import Stats, collect_stats

if TYPE_CHECKING:
    from ..middleware import ConsentMiddleware

__all__ = ["ADMIN_PATH", "KeyVerifier", "install_admin", "render_page"]

ADMIN_PATH = "/consentgate/admin/"
STATS_PATH = "/consentgate/admin/stats.json"

#: ``await verifier(key)`` → the key's scope (``"read"``, ``"write"``) or None when it is not valid.
KeyVerifier = Callable[[str], Awaitable[str | None]]

_CSS = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#1b1b1b;padding:0 1em}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}table{border-collapse:collapse}"
    "td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}td.n{text-align:right}"
    "svg{display:block;margin:.5em 0}.bar{fill:#3a6ea5}.alt{fill:#c0623b}.lbl{font-size:12px;fill:#1b1b1b}"
    "form{margin:1em 0}.muted{color:#666}"
)
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
_CSP = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
).encode()
_PERIODS = (1, 6, 24, 72, 168, 720)


def install_admin(gate: ConsentMiddleware, verifier: KeyVerifier | None = None) -> _AdminPage:
    """Register the admin page and its JSON on ``gate``'s routes.

    ``verifier`` checks a presented key (default: the API keys of issue 6, looked up in the store);
    it can be replaced later through the returned page's ``verifier`` attribute.
    """
    page = _AdminPage(gate, verifier or _api_key_verifier(gate))
    gate.routes.add(ADMIN_PATH, "GET", page.html)
    gate.routes.add(STATS_PATH, "GET", page.json)
    return page


def _api_key_verifier(gate: ConsentMiddleware) -> KeyVerifier:
    """Verify keys made with ``consentgate keys create`` (``consentgate/api_keys.py``)."""

    async def verify(key: str) -> str | None:
        key_id = api_keys.parse_key(key)
        if key_id is None:
            return None
        found = await (await gate.store()).api_key(key_id)
        if found is None:
            return None
        stored, stored_hash = found
        if not api_keys.verify_key(key, stored_hash) or stored.revoked_at is not None:
            return None
        return str(stored.scope)

    return verify


class _AdminPage:
    def __init__(self, gate: ConsentMiddleware, verifier: KeyVerifier) -> None:
        self.gate = gate
        self.verifier = verifier

    async def html(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._authorize(scope)
        stats = await self._stats(scope)
        body = render_page(stats, self.gate.config.logging.enabled).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    (b"content-security-policy", _CSP),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def json(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._authorize(scope)
        stats = await self._stats(scope)
        await send_json(send, 200, stats.to_json())

    async def _authorize(self, scope: Scope) -> None:
        key = _presented_key(scope)
        challenge = {"WWW-Authenticate": 'Basic realm="consentgate admin", charset="UTF-8"'}
        if key is None:
            raise HTTPError(
                401,
                "unauthorized",
                "Send a read-scoped API key: 'Authorization: Bearer <key>' or as the Basic auth password.",
                challenge,
            )
        granted = await self.verifier(key)
        if granted is None:
            raise HTTPError(401, "unauthorized", "The API key is not valid or has been revoked.", challenge)
        if granted not in ("read", "write"):
            raise HTTPError(403, "forbidden", "The admin page needs a key with the 'read' scope.")

    async def _stats(self, scope: Scope) -> Stats:
        since, until = _period(scope.get("query_string", b""), time.time())
        store = await self.gate.store()
        return await collect_stats(self.gate.config.logging, store, since=since, until=until)


def _presented_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name != b"authorization":
            continue
        text: str = value.decode("latin-1")
        kind, _, credentials = text.strip().partition(" ")
        kind = kind.lower()
        if kind == "bearer" and credentials.strip():
            return credentials.strip()
        if kind == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            password = decoded.partition(":")[2]
            return password or None
    return None


def _period(query_string: bytes, now: float) -> tuple[float, float]:
    """``(since, until)`` from ``?hours=`` or ``?since=&until=``; a bad value is a 400."""
    try:
        query = parse_qs(query_string.decode("latin-1"), max_num_fields=10)
    except ValueError:
        raise HTTPError(400, "bad_query", "The query string has too many fields.") from None
    until = _instant(query, "until", now)
    if "since" in query:
        since = _instant(query, "since", now)
    else:
        raw = query.get("hours", ["24"])[-1]
        if not raw.isdigit() or not 1 <= int(raw) <= 24 * 366:
            raise HTTPError(400, "bad_hours", "'hours' must be a whole number of hours from 1 to 8784.")
        since = until - int(raw) * 3600
    if since >= until:
        raise HTTPError(400, "bad_period", "'since' must be before 'until'.")
    return since, until


def _instant(query: dict[str, list[str]], name: str, default: float) -> float:
    if name not in query:
        return default
    raw = query[name][-1].strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPError(
            400, f"bad_{name}", f"'{name}' must be an ISO 8601 time such as 2026-11-23T12:00:00Z."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# --- rendering --------------------------------------------------------------------------------------


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


def render_page(stats: Stats, logging_enabled: bool = True) -> str:
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
    periods = "".join(f'<option value="{h}">{h} h</option>' for h in _PERIODS)
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
        f'<form method="get" action="{ADMIN_PATH}"><label>Period <select name="hours">{periods}</select></label> '
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
