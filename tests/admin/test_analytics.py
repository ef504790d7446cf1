"""The consent figures (pure): Wilson intervals against published values, kinds and grant rates."""

from __future__ import annotations

import pytest

from consentgate.admin.analytics import build_report, report_csv, wilson
from consentgate.store.analytics_base import ConsentCounts


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17, table I: 81/263, 15/148, 0/20, 1/29.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_published_intervals(successes: int, n: int, low: float, high: float) -> None:
    got = wilson(successes, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_of_nothing_is_everything() -> None:
    assert wilson(0, 0) == (0.0, 1.0)


def test_the_report_counts_kinds_grants_and_gpc_per_group() -> None:
    counts = ConsentCounts(
        by_day=[(100, "accept_all", 3), (101, "save_choices", 1), (101, "gpc_opt_out", 1)],
        breakdown=[
            (1, "h1", "", "accept_all", 0, ",necessary,analytics,ads,", 3),
            (1, "h1", "b", "save_choices", 0, ",necessary,analytics,", 1),
            (2, "h2", "b", "gpc_opt_out", 1, ",necessary,", 1),
        ],
        regions=[("DE", 5)],
    )
    report = build_report(
        counts, first_day=100, last_day=102, region=None, categories=("necessary", "analytics")
    )
    assert report.total.records == 5
    assert dict(report.total.kinds) == {"accept_all": 3, "customised": 1, "other": 1}
    assert report.total.granted["analytics"] == 4 and report.total.gpc == 1
    assert report.categories == ("necessary", "analytics", "ads")  # a category the config dropped still shows
    assert [date for date, _ in report.daily] == ["1970-04-11", "1970-04-12", "1970-04-13"]
    assert report.variants["b"].records == 2 and report.revisions[(2, "h2")].kinds["other"] == 1
    text = report_csv(report)
    assert "period,1970-04-11..1970-04-13 region=all,accept_all,3,5,0.6000," in text
    assert "variant,b,granted:analytics,1,2,0.5000," in text
