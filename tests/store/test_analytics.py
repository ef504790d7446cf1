"""The dashboard's store methods on both backends: consent counts by SQL aggregates (the daily summary
and the live day agree with plain counts of the records), webhook health and replay, verify runs."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consentgate.store import Store
from consentgate.store.analytics_base import VerifyRun
from tests.support.stores import BACKENDS, backend_store, make_record, raw_execute

DAY = 86400
TODAY = 20_000  # a UTC day number (2024-10-04)
NOW = TODAY * DAY + 15 * 3600.0
ALL = {"necessary": True, "analytics": True, "advertising": True}
NONE = {"necessary": True, "analytics": False, "advertising": False}
SOME = {"necessary": True, "analytics": True, "advertising": False}


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with backend_store(request.param, tmp_path) as opened:
        yield opened


async def _seed(store: Store, n: int = 300, seed: int = 7) -> None:
    """``n`` records over the last 5 days (today included), in two regions, revisions and variants."""
    rng = random.Random(seed)
    records = []
    for _ in range(n):
        day = TODAY - rng.randrange(5)
        when = day * DAY + rng.uniform(0, DAY if day < TODAY else 15 * 3600 - 1)
        action, categories = rng.choice(
            [("accept_all", ALL), ("reject_all", NONE), ("save_choices", SOME), ("withdraw", NONE)]
        )
        records.append(
            make_record(
                when=when,
                action=action,
                categories=categories,
                region=rng.choice(["DE", "GB"]),
                gpc=rng.random() < 0.2,
                config_revision=rng.choice([1, 2]),
                shown_hash=rng.choice(["a" * 64, "b" * 64]),
                variant=rng.choice(["", "short"]),
            )
        )
    await asyncio.gather(*(store.append(record) for record in records))


def _sql_counts(
    store: Store, first: int, last: int, region: str | None
) -> tuple[Counter[tuple[int, str]], Counter[tuple[object, ...]]]:
    """The same figures as plain SQL over the records: per day and action; per group."""
    where = "time >= ? AND time < ? AND action <> ''" + (" AND region = ?" if region else "")
    params = [first * DAY, (last + 1) * DAY] + ([region] if region else [])
    by_day: Counter[tuple[int, str]] = Counter()
    for t, action in raw_execute(store, f"SELECT time, action FROM records WHERE {where}", params):
        by_day[int(t // DAY), action] += 1
    groups: Counter[tuple[object, ...]] = Counter()
    sql = (
        "SELECT config_revision, shown_hash, variant, action, gpc, chosen, COUNT(*) FROM records"
        f" WHERE {where} GROUP BY config_revision, shown_hash, variant, action, gpc, chosen"
    )
    for *key, count in raw_execute(store, sql, params):
        groups[tuple(key)] += count
    return by_day, groups


@pytest.mark.parametrize("region", [None, "DE"])
async def test_counts_match_plain_sql_over_the_records(store: Store, region: str | None) -> None:
    await _seed(store)
    first, last = TODAY - 6, TODAY
    counts = await store.consent_counts(first_day=first, last_day=last, region=region, now=NOW)
    by_day, groups = _sql_counts(store, first, last, region)
    assert {(d, a): c for d, a, c in counts.by_day} == dict(by_day)
    assert {tuple(row[:6]): row[6] for row in counts.breakdown} == dict(groups)
    assert sum(c for _, c in counts.regions) == 300  # every region, whatever the filter
    # Complete days were summed once; today is not (it is still running).
    days = {row[0] for row in raw_execute(store, "SELECT day FROM consent_daily_days")}
    assert days == set(range(first, TODAY))
    # Asked again (summary read, nothing summed twice) the figures are the same.
    again = await store.consent_counts(first_day=first, last_day=last, region=region, now=NOW)
    assert again == counts


async def test_a_day_is_summed_once_even_by_callers_at_once(store: Store) -> None:
    await _seed(store, n=120)
    results = await asyncio.gather(
        *(
            store.consent_counts(first_day=TODAY - 4, last_day=TODAY - 1, region=None, now=NOW)
            for _ in range(4)
        )
    )
    assert all(r == results[0] for r in results)
    total = raw_execute(store, "SELECT SUM(count) FROM consent_daily WHERE region = '*'")[0][0]
    expected = raw_execute(store, "SELECT COUNT(*) FROM records WHERE time < ?", [TODAY * DAY])[0][0]
    assert int(total) == expected


def _summary(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    daily = raw_execute(
        store, "SELECT * FROM consent_daily ORDER BY region, day, action, chosen, gpc, variant"
    )
    regions = raw_execute(store, "SELECT * FROM consent_daily_regions ORDER BY day, region")
    return sorted(daily), sorted(regions)


async def test_a_gap_of_days_is_summed_as_each_day_alone(store: Store) -> None:
    await _seed(store, n=200)
    # Records a fraction of a second either side of midnight: the day of a time is its floor, whatever
    # way a backend casts the time.
    edges = [-0.7, -0.4, 0.0, 0.4, 0.7]
    await asyncio.gather(
        *(
            store.append(make_record(when=day * DAY + edge, region="GB"))
            for day in range(TODAY - 5, TODAY)
            for edge in edges
        )
    )
    first, last = TODAY - 12, TODAY - 1  # long enough to be summed in more than one pass
    for day in range(first, last + 1):  # each day summed alone
        await store.consent_counts(first_day=day, last_day=day, region=None, now=NOW)
    alone = _summary(store)
    by_day, _ = _sql_counts(store, first, last, None)
    summed = raw_execute(
        store, "SELECT day, action, SUM(count) FROM consent_daily WHERE region = '*' GROUP BY day, action"
    )
    assert {(int(d), a): int(c) for d, a, c in summed} == dict(by_day)
    for table in ("consent_daily", "consent_daily_regions", "consent_daily_days"):
        raw_execute(store, f"DELETE FROM {table}")
    # One day summed first leaves two gaps, each summed in grouped passes.
    await store.consent_counts(first_day=TODAY - 3, last_day=TODAY - 3, region=None, now=NOW)
    await store.consent_counts(first_day=first, last_day=last, region=None, now=NOW)
    assert _summary(store) == alone
    days = {row[0] for row in raw_execute(store, "SELECT day FROM consent_daily_days")}
    assert days == set(range(first, last + 1))


async def test_records_from_before_the_fact_columns_are_left_out(store: Store) -> None:
    await _seed(store, n=20)
    raw_execute(store, "UPDATE records SET action = '' WHERE seq IN (SELECT seq FROM records LIMIT 5)")
    counts = await store.consent_counts(first_day=TODAY - 6, last_day=TODAY, region=None, now=NOW)
    assert sum(row[6] for row in counts.breakdown) == 15


async def test_banner_texts_first_seen(store: Store) -> None:
    record = make_record(when=NOW, shown_hash="c" * 64)
    await store.append(record, shown=b"banner text")
    seen = await store.shown_first_seen(["c" * 64, "d" * 64])
    assert set(seen) == {"c" * 64}
    assert await store.shown_first_seen([]) == {}


async def test_webhook_health_and_replay_of_one_endpoint(store: Store) -> None:
    rows = [
        ("m1", "crm", "pending", None, ""),
        ("m2", "crm", "pending", 500, "HTTP 500"),
        ("m3", "crm", "dead", 404, "HTTP 404 Not Found"),
        ("m4", "crm", "delivered", 200, ""),
        ("m5", "mail", "dead", None, "connection refused"),
    ]
    for msg, endpoint, state, status, error in rows:
        raw_execute(
            store,
            "INSERT INTO outbox (msg_id, endpoint, subject, type, payload, created_at, retry_from, next_at,"
            " state, last_status, last_error) VALUES (?, ?, 's', 'consent.updated', '{}', 1, 1, 1, ?, ?, ?)",
            [msg, endpoint, state, status, error],
        )
    health = {h.endpoint: h for h in await store.webhook_health()}
    crm, mail = health["crm"], health["mail"]
    assert (crm.pending, crm.retrying, crm.dead, crm.delivered) == (1, 1, 1, 1)
    assert crm.last_status == 404 and crm.last_error == "HTTP 404 Not Found"
    assert (mail.dead, mail.last_error) == (1, "connection refused")
    assert await store.replay_endpoint("crm", now=5.0) == 1
    health = {h.endpoint: h for h in await store.webhook_health()}
    assert health["crm"].dead == 0 and health["mail"].dead == 1


async def test_verify_runs_keep_the_latest(store: Store) -> None:
    assert await store.last_verify_run() is None
    await store.add_verify_run(VerifyRun(1.0, 2.0, 10, 4, 0))
    await store.add_verify_run(VerifyRun(3.0, 4.5, 11, 5, 2, "r1 edited\nr2 deleted", "cli"))
    assert await store.last_verify_run() == VerifyRun(3.0, 4.5, 11, 5, 2, "r1 edited\nr2 deleted", "cli")
