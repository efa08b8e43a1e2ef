"""Date filters and trend buckets are business days (the SLA calendar's zone, Asia/Tokyo),
not UTC days: on a hand-built history, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.services import kpi as reports
from api.services.kpi import Period
from nurture.db import create_schema
from nurture.rules.trends import Granularity
from nurture.tables import Handoff, Lead, SlaEvent, StageChange
from scenarios.sla import SLA

LATE = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # Wed 25 Nov 08:30 in Tokyo
NOON = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tue 24 Nov 12:00 in Tokyo
TUE, WED = date(2026, 11, 24), date(2026, 11, 25)


def _lead(s: Session, created: datetime, won_after: timedelta | None = None) -> None:
    lead = Lead(email=f"{uuid.uuid4().hex[:8]}@x.example.com", source="wp", created_at=created)
    s.add(lead)
    s.flush()
    path = ["nurturing", "mql"] + (["sales_pending"] if won_after else [])
    for i, stage in enumerate(path):
        s.add(StageChange(lead_id=lead.id, at=created + timedelta(minutes=i), to_stage=stage))
    if won_after:
        made = created + timedelta(minutes=2)
        s.add(
            Handoff(
                id=f"h-{lead.id}",
                lead_id=lead.id,
                created_at=made,
                status="won",
                amount=Decimal(900000),
            )
        )
        for event, at in (("assigned", made), ("ack", made), ("won", created + won_after)):
            s.add(SlaEvent(handoff_id=f"h-{lead.id}", lead_id=lead.id, at=at, event=event))


@pytest.fixture
def days(empty_db: Engine) -> Engine:
    """A lead created at 23:30 UTC on Tuesday (Wednesday in Tokyo) and won 14 days later;
    one created on Tuesday at noon in Tokyo, an MQL."""
    create_schema(empty_db)
    with Session(empty_db) as s:
        _lead(s, LATE, won_after=timedelta(days=14))
        _lead(s, NOON)
        s.commit()
    return empty_db


def test_the_business_calendar_is_tokyo() -> None:
    assert SLA.calendar.zone.key == "Asia/Tokyo"  # what the figures below assume
    assert Period(WED, WED).low == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_a_day_filter_means_the_business_day(days: Engine) -> None:
    with Session(days) as session:
        tue = reports.funnel(session, Period(TUE, TUE))
        wed = reports.funnel(session, Period(WED, WED))
        sla_tue = reports.sla(session, Period(TUE, TUE))
        sla_wed = reports.sla(session, Period(WED, WED))
    assert tue.overall.stages[0].count == 1 and wed.overall.stages[0].count == 1
    assert [s.count for s in wed.overall.stages if s.stage == "won"] == [1]
    assert [s.count for s in tue.overall.stages if s.stage == "won"] == [0]
    assert (sla_tue.overall.handoffs, sla_wed.overall.handoffs) == (0, 1)
    assert sla_wed.leads.won == 1


def test_trend_buckets_are_business_weeks(days: Engine) -> None:
    with Session(days) as session:
        weekly = reports.trend(session, Period(), Granularity.WEEK)
        monthly = reports.trend(session, Period(), Granularity.MONTH)
        tuesday = reports.trend(session, Period(TUE, TUE), Granularity.WEEK)
    points = [(p.start, p.new_leads, p.mqls, p.handoffs, p.won) for p in weekly.overall.points]
    assert points == [
        (date(2026, 11, 23), 2, 2, 1, 0),
        (date(2026, 11, 30), 0, 0, 0, 0),
        (date(2026, 12, 7), 0, 0, 0, 1),  # won on Wed 9 Dec in Tokyo
    ]
    assert weekly.overall.points[-1].won_revenue == Decimal(900000)
    assert weekly.overall.median_days_mql_to_won == 14.0
    assert weekly.zone == "Asia/Tokyo" and list(weekly.by_campaign) == ["wp"]
    assert [(p.start, p.won) for p in monthly.overall.points] == [
        (date(2026, 11, 1), 0),
        (date(2026, 12, 1), 1),
    ]
    assert [(p.new_leads, p.mqls) for p in tuesday.overall.points] == [(1, 1)]
