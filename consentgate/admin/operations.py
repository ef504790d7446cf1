"""The operations page: webhook health per subscription, the ledger's last verify, today's requests."""

from __future__ import annotations

from datetime import UTC, datetime

from ..store.analytics_base import EndpointHealth, VerifyRun
from .layout import esc

__all__ = ["operations_body"]


def _time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _csrf(csrf: str | None) -> str:
    return f'<input type="hidden" name="csrf" value="{esc(csrf)}">' if csrf else ""


def _webhooks(health: list[EndpointHealth], configured: tuple[str, ...], base: str, csrf: str | None) -> str:
    by_name = {h.endpoint: h for h in health}
    names = list(dict.fromkeys([*configured, *by_name]))
    if not names:
        return '<p class="muted">No webhook subscriptions ([webhooks.subscriptions.*]) and no deliveries.</p>'
    rows = []
    for name in names:
        h = by_name.get(name) or EndpointHealth(name, 0, 0, 0, 0)
        error = ""
        if h.last_error or h.last_status is not None:
            status = f"HTTP {h.last_status}: " if h.last_status is not None else ""
            error = (
                f"{esc(status + h.last_error[:200])} <span class=muted>{esc(_time(h.last_error_at))}</span>"
            )
        replay = (
            f'<form class="inline" method="post" action="{esc(base)}webhooks/replay">{_csrf(csrf)}'
            f'<input type="hidden" name="endpoint" value="{esc(name)}">'
            f'<button type="submit" aria-label="Replay the dead deliveries of {esc(name)}">Replay {h.dead}</button>'
            "</form>"
            if h.dead
            else ""
        )
        state = '<span class="bad">dead letters</span>' if h.dead else '<span class="ok">healthy</span>'
        if not h.dead and h.retrying:
            state = '<span class="bad">retrying</span>'
        rows.append(
            f"<tr><th scope=row>{esc(name)}{'' if name in configured else ' (not configured)'}</th>"
            f"<td>{state}</td><td class=n>{h.pending:,}</td><td class=n>{h.retrying:,}</td>"
            f"<td class=n>{h.dead:,}</td><td class=n>{h.delivered:,}</td><td>{error}</td><td>{replay}</td></tr>"
        )
    return (
        "<table><caption>Deliveries per subscription</caption><tr><th>subscription</th><th>state</th>"
        "<th class=n>pending</th><th class=n>retrying</th><th class=n>dead</th><th class=n>delivered</th>"
        f"<th>last error</th><th>action</th></tr>{''.join(rows)}</table>"
    )


def _verify(run: VerifyRun | None, base: str, csrf: str | None) -> str:
    if run is None:
        result = '<p class="muted">The ledger has not been verified from the dashboard yet.</p>'
    else:
        verdict = (
            '<strong class="ok">verified: no record edited, deleted or reordered</strong>'
            if not run.problems
            else f'<strong class="bad">{run.problems:,} problem(s) found</strong>'
        )
        detail = f"<pre>{esc(run.detail)}</pre>" if run.detail else ""
        result = (
            f"<p>{verdict}. {run.records:,} records in {run.chains:,} chains, checked "
            f"{esc(_time(run.finished_at))} in {run.finished_at - run.started_at:.1f} s "
            f'<span class="muted">({esc(run.source)})</span>.</p>{detail}'
        )
    button = (
        f'<form method="post" action="{esc(base)}verify">{_csrf(csrf)}'
        '<button type="submit">Verify the ledger now</button></form>'
        if csrf is not None
        else ""
    )
    return result + button


def operations_body(
    health: list[EndpointHealth],
    configured: tuple[str, ...],
    run: VerifyRun | None,
    requests: str,
    *,
    base: str,
    csrf: str | None,
    notice: str = "",
) -> str:
    """The operations page's ``<main>``; ``requests`` is today's request-log part, already rendered."""
    shown = f'<p class="notice" role="status">{esc(notice)}</p>' if notice else ""
    return (
        f"<h1>Operations</h1>{shown}"
        f"<h2>Webhooks</h2>{_webhooks(health, configured, base, csrf)}"
        f"<h2>Ledger integrity</h2>{_verify(run, base, csrf)}"
        f"{requests}"
    )
