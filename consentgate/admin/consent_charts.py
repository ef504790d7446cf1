"""SVG charts of the consent figures: choices per day (stacked columns), shares with intervals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .layout import esc, pct

__all__ = ["KIND_LABELS", "daily_columns", "share_bars"]

KIND_LABELS = {
    "accept_all": "Accept all",
    "reject_all": "Reject all",
    "customised": "Customised",
    "withdrawn": "Withdrawn",
    "other": "GPC/API opt-out",
}


def daily_columns(daily: list[tuple[str, Counter[str]]], kinds: tuple[str, ...]) -> str:
    """One column per day, stacked by kind of choice."""
    if not daily or not any(sum(c.values()) for _, c in daily):
        return '<p class="muted">No choices recorded in this period.</p>'
    width, height, axis = 640, 180, 20
    top = max(sum(c.values()) for _, c in daily) or 1
    step = width / len(daily)
    parts = [
        f'<svg role="img" aria-label="Choices per day, stacked by kind" width="{width}" '
        f'height="{height + axis}" viewBox="0 0 {width} {height + axis}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (date, counts) in enumerate(daily):
        y = float(height)
        for kind in kinds:
            count = counts[kind]
            if not count:
                continue
            h = height * count / top
            y -= h
            parts.append(
                f'<rect class="k-{kind}" x="{i * step:.1f}" y="{y:.1f}" width="{max(step - 1, 1):.1f}" '
                f'height="{h:.1f}"><title>{esc(date)} {esc(KIND_LABELS[kind])}: {count}</title></rect>'
            )
    parts.append(
        f'<text class="lbl" x="0" y="{height + 15}">{esc(daily[0][0])}</text>'
        f'<text class="lbl" x="{width}" y="{height + 15}" text-anchor="end">{esc(daily[-1][0])} · max {top}/day'
        "</text></svg>"
    )
    legend = " ".join(
        f'<span><span class="sw s-{kind}" aria-hidden="true"></span>{esc(KIND_LABELS[kind])}</span>'
        for kind in kinds
    )
    return "".join(parts) + f"<p>{legend}</p>"


def share_bars(items: Sequence[tuple[str, float | None, tuple[float, float] | None]], label: str) -> str:
    """One bar per share (0..1, full width = 100 %), with its 95 % interval as a whisker when given."""
    if not items:
        return '<p class="muted">No data.</p>'
    row, label_w, bar_w = 22, 340, 400
    parts = [
        f'<svg role="img" aria-label="{esc(label)}" width="{label_w + bar_w + 80}" '
        f'height="{row * len(items) + 4}" viewBox="0 0 {label_w + bar_w + 80} {row * len(items) + 4}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, share, interval) in enumerate(items):
        y = i * row
        width = round(bar_w * (share or 0))
        parts.append(
            f'<text class="lbl" x="{label_w - 6}" y="{y + 15}" text-anchor="end">{esc(name[:58])}</text>'
            f'<rect class="alt" x="{label_w}" y="{y + 4}" width="{width}" height="{row - 8}"/>'
        )
        end = label_w + width
        if interval is not None and share is not None:
            low, high = (label_w + bar_w * v for v in interval)
            mid = y + row / 2
            parts.append(
                f'<line class="ci" x1="{low:.1f}" y1="{mid:.1f}" x2="{high:.1f}" y2="{mid:.1f}"/>'
                f'<line class="ci" x1="{low:.1f}" y1="{mid - 5:.1f}" x2="{low:.1f}" y2="{mid + 5:.1f}"/>'
                f'<line class="ci" x1="{high:.1f}" y1="{mid - 5:.1f}" x2="{high:.1f}" y2="{mid + 5:.1f}"/>'
            )
            end = max(end, round(high))
        parts.append(f'<text class="lbl" x="{end + 6}" y="{y + 15}">{esc(pct(share))}</text>')
    parts.append("</svg>")
    return "".join(parts)
