"""The dashboard's half of the store: consent analytics by SQL aggregates, webhook health, verify runs.

Consent analytics count the ledger's fact columns (``action``, ``region``, ``gpc``, ``shown_hash``,
``config_revision``, ``chosen``, ``variant``; schema v5) grouped in SQL. Complete UTC days are
summed once into ``consent_daily`` (schema v6) the first time a dashboard asks for them (the days
missing from a period together, in one grouped pass over their records), so a period of months then
reads a few thousand summary rows instead of every record; the day still running
is counted from the records themselves. Records written before v5 (``action = ''``) are left out.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

__all__ = [
    "SETTLE_SECONDS",
    "AnalyticsStore",
    "Breakdown",
    "ConsentCounts",
    "EndpointHealth",
    "VerifyRun",
]

#: A day is summed once it ended this long ago (appends stamp the server's clock; this covers skew
#: between servers and an append whose transaction started just before midnight).
SETTLE_SECONDS = 600

#: ``(config_revision, shown_hash, variant, action, gpc, chosen, count)``: one group of records.
Breakdown = tuple[int, str, str, str, int, str, int]


@dataclass(frozen=True, slots=True)
class ConsentCounts:
    """The consent records of a period and region, grouped by SQL.

    ``by_day`` is ``(day, action, count)`` (``day``: UTC days since the epoch); ``breakdown`` the
    groups by banner revision, variant, action, GPC and the categories chosen; ``regions`` the records
    per region over the period, whatever region was asked for.
    """

    by_day: list[tuple[int, str, int]]
    breakdown: list[Breakdown]
    regions: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    """The webhook deliveries of one subscription, by state, and its latest failure."""

    endpoint: str
    pending: int
    retrying: int
    dead: int
    delivered: int
    last_status: int | None = None
    last_error: str = ""
    last_error_at: float | None = None


@dataclass(frozen=True, slots=True)
class VerifyRun:
    """One run of the ledger's ``verify``: when, how much it checked, and what it found."""

    started_at: float
    finished_at: float
    records: int
    chains: int
    problems: int
    #: The first problems, one per line (empty when the ledger verified).
    detail: str = ""
    #: Who ran it: ``dashboard`` or ``cli``.
    source: str = "dashboard"


class AnalyticsStore(abc.ABC):
    """What the dashboard reads and the few things it writes."""

    @abc.abstractmethod
    async def consent_counts(
        self, *, first_day: int, last_day: int, region: str | None, now: float
    ) -> ConsentCounts:
        """The records of UTC days ``first_day..last_day`` (inclusive), of ``region`` or all.

        Complete days not summed yet are summed first (once; two callers at once sum a day once).
        """

    @abc.abstractmethod
    async def shown_first_seen(self, hashes: list[str]) -> dict[str, float]:
        """When each banner text (by its hash) was first stored."""

    @abc.abstractmethod
    async def webhook_health(self) -> list[EndpointHealth]:
        """Every subscription with deliveries in the outbox, by name."""

    @abc.abstractmethod
    async def replay_endpoint(self, endpoint: str, *, now: float) -> int:
        """Make every dead delivery of ``endpoint`` pending again, due now; returns how many."""

    @abc.abstractmethod
    async def add_verify_run(self, run: VerifyRun) -> None:
        """Keep the result of a ``verify`` run."""

    @abc.abstractmethod
    async def last_verify_run(self) -> VerifyRun | None:
        """The latest ``verify`` run kept, if any."""

    @abc.abstractmethod
    async def add_sign_out(self, nonce_hash: str, *, until: float, now: float) -> None:
        """Refuse the dashboard session of ``nonce_hash`` until ``until`` (forgetting expired ones)."""

    @abc.abstractmethod
    async def signed_out(self, nonce_hash: str, *, now: float) -> bool:
        """Whether the dashboard session of ``nonce_hash`` was signed out (and is not yet expired)."""
