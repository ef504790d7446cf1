"""The consent page: the period's choices from the ledger, as charts with their numbers beside them."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from .analytics import KINDS, ConsentReport, Rates, day_iso
from .consent_charts import KIND_LABELS, daily_columns, share_bars
from .layout import esc, pct

__all__ = ["consent_body"]


def _pair(title: str, chart: str, table: str, note: str = "") -> str:
    return (
        f"<h2>{esc(title)}</h2>{note}"
        f'<div class="pair"><div>{chart}</div><div class="scroll" tabindex="0" role="region" '
        f'aria-label="{esc(title)} (numbers)">{table}</div></div>'
    )


def _share_cell(count: int, rates: Rates, interval: bool) -> str:
    share = pct(rates.share(count))
    if interval and rates.records:
        low, high = rates.interval(count)
        share += f' <span class="muted">({low * 100:.1f}&ndash;{high * 100:.1f})</span>'
    return f"<td class=n>{share}</td>"


def _group_table(caption: str, groups: list[tuple[str, Rates]], categories: tuple[str, ...]) -> str:
    """Records and every share per group, with 95 % intervals."""
    head = "".join(f"<th class=n>{esc(KIND_LABELS[k])}</th>" for k in KINDS)
    head += "".join(f"<th class=n>granted: {esc(c)}</th>" for c in categories if c != "necessary")
    rows = []
    for name, rates in groups:
        cells = "".join(_share_cell(rates.kinds[k], rates, True) for k in KINDS)
        cells += "".join(_share_cell(rates.granted[c], rates, True) for c in categories if c != "necessary")
        rows.append(f"<tr><th scope=row>{esc(name)}</th><td class=n>{rates.records:,}</td>{cells}</tr>")
    return (
        f"<table><caption>{esc(caption)} (95 % Wilson intervals)</caption>"
        f"<tr><th>group</th><th class=n>records</th>{head}</tr>{''.join(rows)}</table>"
    )


def _comparison(title: str, groups: list[tuple[str, Rates]], categories: tuple[str, ...]) -> str:
    items: list[tuple[str, float | None, tuple[float, float] | None]] = []
    for name, rates in groups:
        for kind in ("accept_all", "reject_all"):
            count = rates.kinds[kind]
            items.append((f"{name}: {KIND_LABELS[kind]}", rates.share(count), rates.interval(count)))
    chart = share_bars(items, f"{title}: accept all and reject all with 95 % intervals")
    # Full width, the table below its chart: a column per figure does not fit beside it.
    return (
        f"<h2>{esc(title)}</h2>{chart}"
        f'<div class="scroll" tabindex="0" role="region" aria-label="{esc(title)} (numbers)">'
        f"{_group_table(title, groups, categories)}</div>"
    )


def _filters(report: ConsentReport, base: str) -> str:
    options = ['<option value="">All regions</option>'] + [
        f'<option value="{esc(name)}"{" selected" if name == report.region else ""}>'
        f"{esc(name or '(unknown)')} ({count:,})</option>"
        for name, count in report.regions
        if name
    ]
    if report.region and report.region not in {name for name, _ in report.regions}:
        options.append(f'<option value="{esc(report.region)}" selected>{esc(report.region)}</option>')
    return (
        f'<form class="filters" method="get" action="{esc(base)}">'
        f'<label for="from">From<input id="from" type="date" name="from" value="{day_iso(report.first_day)}"></label>'
        f'<label for="to">To<input id="to" type="date" name="to" value="{day_iso(report.last_day)}"></label>'
        f'<label for="region">Region<select id="region" name="region">{"".join(options)}</select></label>'
        '<button type="submit">Show</button></form>'
    )


def consent_body(report: ConsentReport, *, base: str, logging_enabled: bool) -> str:
    """The consent page's ``<main>`` for ``report``."""
    total = report.total
    query = {"from": day_iso(report.first_day), "to": day_iso(report.last_day)}
    if report.region:
        query["region"] = report.region
    where = f"region {report.region}" if report.region else "all regions"
    parts = [
        f"<h1>Consent, {esc(query['from'])} to {esc(query['to'])} (UTC), {esc(where)}</h1>",
        _filters(report, base),
        f'<p><a href="{esc(base)}consent.csv?{esc(urlencode(query))}" download>Download these figures (CSV)</a></p>',
    ]
    if report.undecided is not None:
        never = f"{pct(report.undecided)} of {report.views:,} page views (request log)"
    elif logging_enabled:
        never = "n/a (no page views logged in this period)"
    else:
        never = "n/a (request logging is off)"
    summary = [
        ("Records", f"{total.records:,}"),
        *((KIND_LABELS[k], pct(total.share(total.kinds[k]))) for k in KINDS),
        ("GPC signal on", pct(total.share(total.gpc))),
        ("Visitors who never chose", never),
    ]
    parts.append(
        '<table><caption>Summary</caption><tr><th>measure</th><th class="n">value</th></tr>'
        + "".join(f"<tr><td>{esc(n)}</td><td class=n>{esc(v)}</td></tr>" for n, v in summary)
        + "</table>"
    )
    day_rows = "".join(
        f"<tr><td>{esc(date)}</td>"
        + "".join(f"<td class=n>{counts[k]:,}</td>" for k in KINDS)
        + f"<td class=n>{sum(counts.values()):,}</td></tr>"
        for date, counts in report.daily
    )
    day_head = "".join(f"<th class=n>{esc(KIND_LABELS[k])}</th>" for k in KINDS)
    parts.append(
        _pair(
            "Choices per day",
            daily_columns(report.daily, KINDS),
            f"<table><caption>Choices per day</caption><tr><th>day</th>{day_head}<th class=n>total</th></tr>"
            f"{day_rows}</table>",
        )
    )
    kind_items = [(KIND_LABELS[k], total.share(total.kinds[k]), None) for k in KINDS]
    kind_rows = "".join(
        f"<tr><td>{esc(KIND_LABELS[k])}</td><td class=n>{total.kinds[k]:,}</td>"
        f"{_share_cell(total.kinds[k], total, False)}</tr>"
        for k in KINDS
    )
    parts.append(
        _pair(
            "Shares of choices",
            share_bars(kind_items, "Shares of choices"),
            f"<table><caption>Shares of choices</caption><tr><th>choice</th><th class=n>records</th>"
            f"<th class=n>share</th></tr>{kind_rows}</table>",
        )
    )
    optional = [c for c in report.categories if c != "necessary"]
    grant_items = [(c, total.share(total.granted[c]), None) for c in optional]
    grant_items.append(("GPC signal on", total.share(total.gpc), None))
    grant_rows = (
        "".join(
            f"<tr><td>{esc(c)}</td><td class=n>{total.granted[c]:,}</td>{_share_cell(total.granted[c], total, False)}</tr>"
            for c in optional
        )
        + f"<tr><td>GPC signal on</td><td class=n>{total.gpc:,}</td>{_share_cell(total.gpc, total, False)}</tr>"
    )
    parts.append(
        _pair(
            "Grant rate per category",
            share_bars(grant_items, "Grant rate per category"),
            f"<table><caption>Grant rate per category</caption><tr><th>category</th>"
            f"<th class=n>records granting</th><th class=n>rate</th></tr>{grant_rows}</table>",
        )
    )
    revisions = [
        (f"rev {rev} · {shown[:8] or 'unknown'}{_since(report.first_seen.get(shown))}", rates)
        for (rev, shown), rates in report.revisions.items()
    ]
    if revisions:
        parts.append(_comparison("By banner revision", revisions, report.categories))
    variants = [(name or "(no variant)", rates) for name, rates in report.variants.items()]
    if any(name for name in report.variants):
        parts.append(_comparison("By banner variant", variants, report.categories))
    region_rows = "".join(
        f"<tr><td>{esc(name or '(unknown)')}</td><td class=n>{count:,}</td></tr>"
        for name, count in report.regions
    )
    parts.append(
        "<h2>Regions</h2><table><caption>Records per region in this period</caption>"
        f"<tr><th>region</th><th class=n>records</th></tr>{region_rows}</table>"
    )
    return "".join(parts)


def _since(first_seen: float | None) -> str:
    if first_seen is None:
        return ""
    return " · since " + datetime.fromtimestamp(first_seen, UTC).strftime("%Y-%m-%d")
