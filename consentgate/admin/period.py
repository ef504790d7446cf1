"""The period (and region) a dashboard page shows, from its query string; a bad value is a 400."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from urllib.parse import parse_qs

from ..errors import HTTPError

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "consent_period", "request_period"]

#: The consent page shows the last 30 days unless asked otherwise, and at most 366 days at once.
DEFAULT_DAYS = 30
MAX_DAYS = 366
_REGION = re.compile(r"^[A-Za-z0-9_-]{1,16}\Z")


def _query(query_string: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(query_string.decode("latin-1"), max_num_fields=10)
    except ValueError:
        raise HTTPError(400, "bad_query", "The query string has too many fields.") from None


def _day(raw: str, name: str) -> int:
    try:
        moment = date.fromisoformat(raw.strip())
    except ValueError:
        raise HTTPError(400, f"bad_{name}", f"'{name}' must be a date such as 2026-11-23.") from None
    return (moment - date(1970, 1, 1)).days


def consent_period(query_string: bytes, now: float) -> tuple[int, int, str | None]:
    """``(first day, last day, region or None)`` from ``?from=&to=&region=`` (UTC days)."""
    query = _query(query_string)
    today = int(now // 86400)
    last = _day(query["to"][-1], "to") if query.get("to", [""])[-1] else today
    first = _day(query["from"][-1], "from") if query.get("from", [""])[-1] else last - DEFAULT_DAYS + 1
    if first > last:
        raise HTTPError(400, "bad_period", "'from' must not be after 'to'.")
    if last - first + 1 > MAX_DAYS:
        raise HTTPError(400, "bad_period", f"A period is at most {MAX_DAYS} days.")
    region = query.get("region", [""])[-1].strip() or None
    if region is not None and not _REGION.match(region):
        raise HTTPError(400, "bad_region", "'region' must be a region code such as DE or US-CA.")
    return first, last, region


def request_period(query_string: bytes, now: float) -> tuple[float, float]:
    """``(since, until)`` from ``?hours=`` (default 24) or ``?since=&until=`` (ISO 8601 UTC)."""
    query = _query(query_string)
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
