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
