"""The trend charts' shapes: one point per bucket on a shared axis, bars as tall as their
share of the largest, campaigns stacked."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from api.schemas.kpi import TrendReport
from api.services.trend_charts import BOTTOM, HEIGHT, TOP, charts
from nurture.rules.trends import Granularity, Trend, TrendPoint

MON = date(2026, 11, 2)


def _trend(new: list[int], revenue: list[int] | None = None) -> Trend:
    points = [
        TrendPoint(start=MON + timedelta(weeks=i), new_leads=n, won_revenue=Decimal(r))
        for i, (n, r) in enumerate(zip(new, revenue or [0] * len(new), strict=True))
    ]
    return Trend(points=points, median_days_lead_to_mql=2.5, median_days_mql_to_won=None)


def test_lines_bars_and_stacks_share_the_weeks() -> None:
    report = TrendReport(
        period=Granularity.WEEK,
        zone="Asia/Tokyo",
        overall=_trend([4, 0, 2], [0, 300, 600]),
        by_campaign={"ads": _trend([3, 0, 0]), "wp": _trend([1, 0, 2])},
    )
    c = charts(report)
    new = next(line for line in c.lines if line.series == "new_leads")
    ys = [float(xy.split(",")[1]) for xy in new.points.split()]
    assert len(ys) == 3 and new.total == 6
    assert ys[0] == TOP and ys[1] == HEIGHT - BOTTOM  # the top of the scale, and 0
    assert c.revenue[0].height == 0 and c.revenue[2].height == 2 * c.revenue[1].height
    first_week = [b for b in c.by_campaign if b.x == c.by_campaign[0].x]
    assert [(b.key, b.value) for b in first_week] == [("ads", "3"), ("wp", "1")]
    assert first_week[1].y + first_week[1].height == first_week[0].y  # wp stacked on ads
    assert [t.text for t in c.ticks] == ["11-02", "11-09", "11-16"]
    assert c.median_lead_to_mql == 2.5 and c.median_mql_to_won is None


def test_one_bucket_is_bars_of_distinct_colours_and_names_word_campaigns() -> None:
    """A single week draws a labelled bar per series (lone dots of equal counts would hide
    one another); no two series share a colour, revenue included; campaigns by name."""
    point = TrendPoint(start=MON, new_leads=6, mqls=2, handoffs=2, won=1)
    one = Trend(points=[point], median_days_lead_to_mql=None, median_days_mql_to_won=None)
    report = TrendReport(
        period=Granularity.WEEK,
        zone="Asia/Tokyo",
        overall=one,
        by_campaign={"": _trend([2]), "wp": _trend([4])},
    )
    c = charts(report, {"wp": "DX guide"})
    assert [(b.key, b.value) for b in c.single] == [
        ("new_leads", "6"),
        ("mqls", "2"),
        ("handoffs", "2"),
        ("opportunities", "0"),
        ("won", "1"),
    ]
    mqls, handoffs = c.single[1], c.single[2]
    assert mqls.height == handoffs.height and mqls.x + mqls.width < handoffs.x  # side by side
    assert len({b.colour for b in c.single} | {c.revenue[0].colour}) == 6
    assert [name for _, name, _ in c.legend] == ["(no campaign)", "DX guide"]
    assert [b.label for b in c.by_campaign] == ["(no campaign)", "DX guide"]
    assert (
        charts(
            TrendReport(
                period=Granularity.WEEK, zone="Asia/Tokyo", overall=_trend([1, 2]), by_campaign={}
            )
        ).single
        == []
    )
