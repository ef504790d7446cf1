"""The dashboard's store methods over SQL, once for both backends (see ``analytics_base.py``)."""

from __future__ import annotations

import abc
from collections import Counter
from collections.abc import Sequence
from typing import Any, ClassVar

from .analytics_base import (
    SETTLE_SECONDS,
    AnalyticsStore,
    Breakdown,
    ConsentCounts,
    EndpointHealth,
    VerifyRun,
)
from .analytics_queries import AnalyticsStatements
from .queries import Dialect

__all__ = ["SqlAnalytics"]

_DAY = 86400
#: The most days summed in one write transaction: the records of a week in one grouped pass costs about
#: what a day at a time does per record, and SQLite's appends wait only that long for the write lock.
_DAYS_PER_PASS = 7


class SqlAnalytics(AnalyticsStore):
    """:class:`AnalyticsStore` on the primitives of :class:`~consentgate.store.sql_store.SqlStore`."""

    _dialect: ClassVar[Dialect]
    #: The statements in the backend's SQL, rendered once when the backend class is made.
    _analytics: ClassVar[AnalyticsStatements]
    #: What the backend runs first in a transaction that sums days (its dialect's ``summing_settings``).
    _summing_settings: ClassVar[list[tuple[str, list[tuple[()]]]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dialect = cls.__dict__.get("_dialect")
        if dialect is not None:
            cls._analytics = AnalyticsStatements().rendered(dialect)
            settings = getattr(dialect, "summing_settings", "")
            cls._summing_settings = [(settings, [()])] if settings else []

    @abc.abstractmethod
    async def _read_rows(self, sql: str, *args: Any) -> list[Any]: ...

    @abc.abstractmethod
    async def _write_count(self, sql: str, *args: Any) -> int: ...

    @abc.abstractmethod
    async def _write_many(self, steps: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None: ...

    async def consent_counts(
        self, *, first_day: int, last_day: int, region: str | None, now: float
    ) -> ConsentCounts:
        sql = self._analytics
        # Every complete day of the period is summed (once), the rest counted from the records.
        complete = min(last_day, int((now - SETTLE_SECONDS) // _DAY) - 1)
        if complete >= first_day:
            built = {int(row[0]) for row in await self._read_rows(sql.built_days, first_day, complete)}
            missing = [day for day in range(first_day, complete + 1) if day not in built]
            # Consecutive missing days in grouped passes over their records (a week each): a first view
            # of months of a big ledger reads those records once, in a few statements, not per day.
            for first, last in _runs(missing, _DAYS_PER_PASS):
                times = [(float(first * _DAY), float((last + 1) * _DAY))]
                await self._write_many(
                    [
                        *self._summing_settings,
                        (sql.build_days, times),
                        (sql.build_days_all, [(first, last)]),
                        (sql.build_days_regions, [(first, last)]),
                        (sql.mark_day, [(day, now) for day in range(first, last + 1)]),
                    ]
                )
        summary_end = max(complete, first_day - 1)
        by_day: Counter[tuple[int, str]] = Counter()
        groups: Counter[tuple[int, str, str, str, int, str]] = Counter()
        regions: Counter[str] = Counter()
        if summary_end >= first_day:
            span = (first_day, summary_end, "*" if region is None else region)
            for day, action, count in await self._read_rows(sql.daily_by_day, *span):
                by_day[int(day), str(action)] += int(count)
            for row in await self._read_rows(sql.daily_breakdown, *span):
                groups[_group(row)] += int(row[6])
            for name, count in await self._read_rows(sql.daily_regions, first_day, summary_end):
                regions[str(name)] += int(count)
        for day in range(summary_end + 1, last_day + 1):
            span_of_day = (float(day * _DAY), float((day + 1) * _DAY))
            for row in await self._read_rows(sql.live_facts, *span_of_day):
                count = int(row[7])
                regions[str(row[0])] += count
                if region is None or row[0] == region:
                    by_day[day, str(row[4])] += count
                    groups[_group(row[1:])] += count
        breakdown: list[Breakdown] = [(*key, count) for key, count in sorted(groups.items())]
        return ConsentCounts(
            by_day=[(day, action, count) for (day, action), count in sorted(by_day.items())],
            breakdown=breakdown,
            regions=sorted(regions.items(), key=lambda item: (-item[1], item[0])),
        )

    async def shown_first_seen(self, hashes: list[str]) -> dict[str, float]:
        if not hashes:
            return {}
        ids = self._dialect.bind_ids(hashes)
        rows = await self._read_rows(self._analytics.shown_first_seen, ids)
        return {str(row[0]): float(row[1]) for row in rows}

    async def webhook_health(self) -> list[EndpointHealth]:
        sql = self._analytics
        errors = {
            str(row[0]): (row[1], str(row[2]), row[3])
            for row in await self._read_rows(sql.webhook_last_errors)
        }
        health = []
        for endpoint, pending, retrying, dead, delivered in await self._read_rows(sql.webhook_states):
            status, error, at = errors.get(str(endpoint), (None, "", None))
            health.append(
                EndpointHealth(
                    str(endpoint),
                    int(pending),
                    int(retrying),
                    int(dead),
                    int(delivered),
                    None if status is None else int(status),
                    error,
                    None if at is None else float(at),
                )
            )
        return health

    async def replay_endpoint(self, endpoint: str, *, now: float) -> int:
        return await self._write_count(self._analytics.replay_endpoint, now, endpoint)

    async def add_verify_run(self, run: VerifyRun) -> None:
        await self._write_count(
            self._analytics.add_verify_run,
            run.started_at,
            run.finished_at,
            run.records,
            run.chains,
            run.problems,
            run.detail,
            run.source,
        )

    async def last_verify_run(self) -> VerifyRun | None:
        rows = await self._read_rows(self._analytics.last_verify_run)
        if not rows:
            return None
        row = rows[0]
        return VerifyRun(
            float(row[0]), float(row[1]), int(row[2]), int(row[3]), int(row[4]), str(row[5]), str(row[6])
        )

    async def add_sign_out(self, nonce_hash: str, *, until: float, now: float) -> None:
        await self._write_many(
            [
                (self._analytics.prune_sign_outs, [(now,)]),
                (self._analytics.add_sign_out, [(nonce_hash, until)]),
            ]
        )

    async def signed_out(self, nonce_hash: str, *, now: float) -> bool:
        return bool(await self._read_rows(self._analytics.signed_out, nonce_hash, now))


def _runs(days: list[int], most: int) -> list[tuple[int, int]]:
    """The runs of consecutive days in ``days`` (sorted), at most ``most`` days each, as ``(first, last)``."""
    runs: list[tuple[int, int]] = []
    for day in days:
        if runs and runs[-1][1] == day - 1 and day - runs[-1][0] < most:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _group(row: Sequence[Any]) -> tuple[int, str, str, str, int, str]:
    return (int(row[0]), str(row[1]), str(row[2]), str(row[3]), int(row[4]), str(row[5]))
