"""KPI trends: new leads, MQLs, handoffs, opportunities and won revenue per week or month,
and the median days from lead to MQL and from MQL to won. Pure arithmetic over each lead's
milestones (nurture.repo.kpi_trends reads them), so the bucketing is tested on its own.

A bucket counts what happened in it: a lead in the week it was created, an MQL in the week
the lead first reached MQL (or a later stage: see nurture.repo.sales_reach), and so on; won
revenue in the week of the win. Buckets are days of the business time zone given (the SLA
calendar's), weeks start on Monday, and empty buckets between the first and the last one
are kept, so a chart's x axis is time.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel


class Granularity(StrEnum):
    WEEK = "week"
    MONTH = "month"


# The stages a trend counts, and the field of a bucket each is counted in.
MILESTONES = {
    "mql": "mqls",
    "sales_pending": "handoffs",
    "opportunity": "opportunities",
    "won": "won",
}


@dataclass(frozen=True)
class Milestones:
    """One lead: its campaign, when it was created, when it first reached each stage of
    MILESTONES, and its won deals (a recycled lead may win twice, in different weeks)."""

    source: str
    created_at: datetime
    reached: dict[str, datetime] = field(default_factory=dict)
    wins: tuple[tuple[datetime, Decimal], ...] = ()  # each won deal: when, and its amount


# One bucket of a trend. (A comment, not a docstring: the API documents this model.)
class TrendPoint(BaseModel):
    start: date
    new_leads: int = 0
    mqls: int = 0
    handoffs: int = 0
    opportunities: int = 0
    won: int = 0
    won_revenue: Decimal = Decimal(0)


# A trend and its medians, overall or of one campaign.
class Trend(BaseModel):
    points: list[TrendPoint]
    median_days_lead_to_mql: float | None
    median_days_mql_to_won: float | None


def bucket_of(day: date, granularity: Granularity) -> date:
    """The first day of the week (Monday) or month `day` is in."""
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def next_bucket(start: date, granularity: Granularity) -> date:
    if granularity == Granularity.MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=7)


def buckets_between(first: date, last: date, granularity: Granularity) -> list[date]:
    """Every bucket from the one holding `first` to the one holding `last`."""
    out, at = [], bucket_of(first, granularity)
    while at <= last:
        out.append(at)
        at = next_bucket(at, granularity)
    return out


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier) / timedelta(days=1)


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def trend(
    leads: Iterable[Milestones],
    granularity: Granularity,
    zone: ZoneInfo,
    low: date | None = None,
    high: date | None = None,
) -> Trend:
    """The buckets of `leads`, counting what happened on business days low..high (all
    when not given); the medians are of the MQLs and wins inside those days."""

    def day(at: datetime) -> date | None:
        local = at.astimezone(zone).date()
        inside = (low is None or local >= low) and (high is None or local <= high)
        return local if inside else None

    counts: dict[date, TrendPoint] = {}
    to_mql: list[float] = []
    to_won: list[float] = []

    def point(d: date) -> TrendPoint:
        start = bucket_of(d, granularity)
        return counts.setdefault(start, TrendPoint(start=start))

    for lead in leads:
        if (d := day(lead.created_at)) is not None:
            point(d).new_leads += 1
        for stage, name in MILESTONES.items():
            at = lead.reached.get(stage)
            if at is None or (d := day(at)) is None:
                continue
            p = point(d)
            setattr(p, name, getattr(p, name) + 1)
            if stage == "mql":
                to_mql.append(_days(at, lead.created_at))
            if stage == "won" and "mql" in lead.reached:
                to_won.append(_days(at, lead.reached["mql"]))
        for won_at, amount in lead.wins:  # revenue in the week of each win
            if (d := day(won_at)) is not None:
                point(d).won_revenue += amount
    filled = []
    if counts:
        starts = sorted(counts)
        for start in buckets_between(starts[0], starts[-1], granularity):
            filled.append(counts.get(start, TrendPoint(start=start)))
    return Trend(
        points=filled,
        median_days_lead_to_mql=_median(to_mql),
        median_days_mql_to_won=_median(to_won),
    )


def trends(
    leads: Iterable[Milestones],
    granularity: Granularity,
    zone: ZoneInfo,
    low: date | None = None,
    high: date | None = None,
) -> tuple[Trend, dict[str, Trend]]:
    """The trend overall and per campaign (the leads' source), on the overall's buckets so
    every campaign's chart has the same x axis."""
    everyone = list(leads)
    overall = trend(everyone, granularity, zone, low, high)
    per: dict[str, list[Milestones]] = defaultdict(list)
    for lead in everyone:
        per[lead.source].append(lead)
    axis = [p.start for p in overall.points]
    by_campaign = {}
    for source, group in sorted(per.items()):
        t = trend(group, granularity, zone, low, high)
        have = {p.start: p for p in t.points}
        t.points = [have.get(start, TrendPoint(start=start)) for start in axis]
        by_campaign[source] = t
    return overall, by_campaign
