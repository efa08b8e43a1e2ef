"""Trend buckets: weeks from Monday, months, business days in the zone given, empty buckets
kept, medians of the lead's own times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from nurture.rules.trends import Granularity, Milestones, bucket_of, buckets_between, trends

TOKYO = ZoneInfo("Asia/Tokyo")
WEEK, MONTH = Granularity.WEEK, Granularity.MONTH


def test_buckets_start_on_monday_or_the_first_of_the_month() -> None:
    assert bucket_of(date(2026, 12, 6), WEEK) == date(2026, 11, 30)  # a Sunday
    assert bucket_of(date(2026, 11, 30), WEEK) == date(2026, 11, 30)
    assert bucket_of(date(2026, 12, 31), MONTH) == date(2026, 12, 1)
    assert buckets_between(date(2026, 11, 20), date(2027, 1, 5), MONTH) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]


def _lead(created: datetime, source: str = "wp", **reached: datetime) -> Milestones:
    wins = ((reached["won"], Decimal(500000)),) if "won" in reached else ()
    return Milestones(source, created, reached, wins)


def test_a_lead_late_on_sunday_in_utc_is_monday_in_tokyo() -> None:
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Mon 30 Nov 08:30 in Tokyo
    overall, _ = trends([_lead(sunday_night)], WEEK, TOKYO)
    assert [(p.start, p.new_leads) for p in overall.points] == [(date(2026, 11, 30), 1)]
    in_utc, _ = trends([_lead(sunday_night)], WEEK, ZoneInfo("UTC"))
    assert [p.start for p in in_utc.points] == [date(2026, 11, 23)]
    # a range of business days: the lead is on the 30th, not the 29th
    none, _ = trends([_lead(sunday_night)], WEEK, TOKYO, high=date(2026, 11, 29))
    assert none.points == []


def test_each_milestone_counts_in_the_bucket_it_happened_in() -> None:
    mon = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    a = _lead(
        mon,
        mql=mon + timedelta(days=2),
        sales_pending=mon + timedelta(days=2),
        opportunity=mon + timedelta(days=9),
        won=mon + timedelta(days=22),
    )
    b = _lead(mon + timedelta(days=1), "expo", mql=mon + timedelta(days=5))
    overall, per = trends([a, b], WEEK, TOKYO)
    rows = [(p.new_leads, p.mqls, p.handoffs, p.opportunities, p.won) for p in overall.points]
    assert [p.start.day for p in overall.points] == [2, 9, 16, 23]
    assert rows == [(2, 2, 1, 0, 0), (0, 0, 0, 1, 0), (0, 0, 0, 0, 0), (0, 0, 0, 0, 1)]
    assert [p.won_revenue for p in overall.points] == [0, 0, 0, Decimal(500000)]
    assert overall.median_days_lead_to_mql == 3.0  # 2 and 4 days
    assert overall.median_days_mql_to_won == 20.0
    assert [p.start for p in per["expo"].points] == [p.start for p in overall.points]
    assert [p.mqls for p in per["expo"].points] == [1, 0, 0, 0]
    assert per["expo"].median_days_mql_to_won is None


def test_a_range_counts_only_what_happened_inside_it() -> None:
    mon = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    a = _lead(mon, mql=mon + timedelta(days=8), won=mon + timedelta(days=30))
    overall, _ = trends([a], MONTH, TOKYO, low=date(2026, 11, 5), high=date(2026, 11, 30))
    assert [(p.start, p.new_leads, p.mqls, p.won) for p in overall.points] == [
        (date(2026, 11, 1), 0, 1, 0)
    ]
    assert overall.median_days_lead_to_mql == 8.0 and overall.median_days_mql_to_won is None


def test_a_lead_won_twice_has_each_wins_revenue_in_its_own_week() -> None:
    """Recycled and won again: the second deal's revenue is in the second win's week, as
    attribution counts revenue won in a range."""
    created = datetime(2026, 11, 2, 1, tzinfo=UTC)
    first, second = datetime(2026, 11, 4, 1, tzinfo=UTC), datetime(2026, 11, 18, 1, tzinfo=UTC)
    lead = Milestones("wp", created, {"won": first}, ((first, Decimal(100)), (second, Decimal(7))))
    overall, _ = trends([lead], WEEK, TOKYO)
    revenue = {p.start: p.won_revenue for p in overall.points}
    assert revenue == {
        date(2026, 11, 2): Decimal(100),
        date(2026, 11, 9): Decimal(0),
        date(2026, 11, 16): Decimal(7),
    }
    later, _ = trends([lead], WEEK, TOKYO, low=date(2026, 11, 16))
    assert [(p.start, p.won, p.won_revenue) for p in later.points] == [
        (date(2026, 11, 16), 0, Decimal(7))
    ]
