"""The SQL of the dashboard's store methods, written once for both backends (``queries.py`` syntax).

Kept beside ``queries.py`` rather than in it: these statements serve one reader, the dashboard, and
read the ledger's fact columns and the ``consent_daily`` summary (schema v6), whose region ``'*'``
holds every region together.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .queries import Dialect

__all__ = ["AnalyticsStatements"]

_GROUPS = "config_revision, shown_hash, variant, action, gpc, chosen"
_FACTS = f"region, {_GROUPS}"
# The UTC day of a record's time, floor(time / 86400), in SQL both backends read alike: CAST rounds on
# PostgreSQL and truncates on SQLite, so the whole second is corrected down when the cast went up.
_SECOND = "CAST(time AS BIGINT)"
_DAY_OF_TIME = f"(({_SECOND} - CASE WHEN {_SECOND} > time THEN 1 ELSE 0 END) / 86400)"


@dataclass(frozen=True, slots=True)
class AnalyticsStatements:
    """Every statement of :class:`~consentgate.store.analytics_sql.SqlAnalytics`."""

    # --- the daily summary -----------------------------------------------------------------------------
    built_days: str = "SELECT day FROM consent_daily_days WHERE day >= ?1 AND day <= ?2"
    # Days not summed yet, in one grouped pass over their records (times ?1..?2, a range of the
    # records_time index): per region, then every region together ('*'), then the records per region.
    # ON CONFLICT DO NOTHING: a second caller summing the same days at once adds nothing (PostgreSQL
    # makes it wait for the first one's commit, then finds every row there).
    build_days: str = (
        f"INSERT INTO consent_daily (day, {_FACTS}, count)"
        f" SELECT {_DAY_OF_TIME}, {_FACTS}, COUNT(*) FROM records"
        f" WHERE time >= ?1 AND time < ?2 AND action <> ''"
        f" GROUP BY {_DAY_OF_TIME}, {_FACTS} ON CONFLICT DO NOTHING"
    )
    # The days' other rows come from their per-region rows just written, not from the records again.
    build_days_all: str = (
        f"INSERT INTO consent_daily (day, {_FACTS}, count)"
        f" SELECT day, '*', {_GROUPS}, SUM(count) FROM consent_daily"
        f" WHERE region <> '*' AND day >= ?1 AND day <= ?2 GROUP BY day, {_GROUPS} ON CONFLICT DO NOTHING"
    )
    build_days_regions: str = (
        "INSERT INTO consent_daily_regions (day, region, count)"
        " SELECT day, region, SUM(count) FROM consent_daily"
        " WHERE region <> '*' AND day >= ?1 AND day <= ?2 GROUP BY day, region ON CONFLICT DO NOTHING"
    )
    mark_day: str = (
        "INSERT INTO consent_daily_days (day, built_at) VALUES (?1, ?2) ON CONFLICT (day) DO NOTHING"
    )
    # Days ?1..?2 of the summary, region ?3 ('*': every region).
    daily_by_day: str = (
        "SELECT day, action, SUM(count) FROM consent_daily"
        " WHERE region = ?3 AND day >= ?1 AND day <= ?2 GROUP BY day, action"
    )
    daily_breakdown: str = (
        f"SELECT {_GROUPS}, SUM(count) FROM consent_daily"
        f" WHERE region = ?3 AND day >= ?1 AND day <= ?2 GROUP BY {_GROUPS}"
    )
    daily_regions: str = (
        "SELECT region, SUM(count) FROM consent_daily_regions WHERE day >= ?1 AND day <= ?2 GROUP BY region"
    )
    # --- the records of a day not summed yet (times ?1..?2), in one pass --------------------------------
    live_facts: str = (
        f"SELECT {_FACTS}, COUNT(*) FROM records WHERE time >= ?1 AND time < ?2 AND action <> ''"
        f" GROUP BY {_FACTS}"
    )
    shown_first_seen: str = "SELECT hash, first_seen FROM shown WHERE hash = ANY(?1)"

    # --- operations --------------------------------------------------------------------------------------
    webhook_states: str = (
        "SELECT endpoint,"
        " SUM(CASE WHEN state = 'pending' AND last_status IS NULL AND last_error = '' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN state = 'pending' AND (last_status IS NOT NULL OR last_error <> '')"
        " THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END)"
        " FROM outbox GROUP BY endpoint ORDER BY endpoint"
    )
    # The latest delivery of each endpoint that failed (an error, or a non-2xx answer).
    webhook_last_errors: str = (
        "SELECT endpoint, last_status, last_error, COALESCE(done_at, next_at) FROM outbox WHERE id IN"
        " (SELECT MAX(id) FROM outbox WHERE last_error <> '' OR state = 'dead' GROUP BY endpoint)"
    )
    replay_endpoint: str = (
        "UPDATE outbox SET state = 'pending', next_at = ?1, retry_from = ?1, attempts = 0,"
        " lease_until = 0, done_at = NULL WHERE endpoint = ?2 AND state = 'dead'"
    )
    add_verify_run: str = (
        "INSERT INTO verify_runs (started_at, finished_at, records, chains, problems, detail, source)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    )
    last_verify_run: str = (
        "SELECT started_at, finished_at, records, chains, problems, detail, source FROM verify_runs"
        " ORDER BY id DESC LIMIT 1"
    )
    # A session signed out twice (two tabs) keeps its first row.
    add_sign_out: str = (
        "INSERT INTO admin_signouts (nonce_hash, until) VALUES (?1, ?2) ON CONFLICT (nonce_hash) DO NOTHING"
    )
    prune_sign_outs: str = "DELETE FROM admin_signouts WHERE until <= ?1"
    signed_out: str = "SELECT 1 FROM admin_signouts WHERE nonce_hash = ?1 AND until > ?2"

    def rendered(self, dialect: Dialect) -> AnalyticsStatements:
        """Every statement in ``dialect``'s SQL."""
        return AnalyticsStatements(**{f.name: dialect.render(getattr(self, f.name)) for f in fields(self)})
