"""SLA and scoring-review KPIs on a hand-built history, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nurture.db import create_schema
from nurture.repo import kpi_sales
from nurture.tables import Handoff, Lead, Rep, RepAssignment, SlaEvent, StageChange
from scenarios.sla import SLA
from tests.nurture.test_migrations import empty_db  # noqa: F401  (fixture: both databases)

JST = ZoneInfo("Asia/Tokyo")
WED = datetime(2026, 11, 25, 10, 0, tzinfo=JST)
WINDOWS = {"normal": timedelta(hours=9), "hot": timedelta(hours=2)}


def _window(priority: str) -> timedelta:
    return WINDOWS[priority]


@pytest.fixture
def sales(empty_db: Engine) -> Engine:  # noqa: F811
    create_schema(empty_db)
    with Session(empty_db) as s:
        ann, ben = (
            Rep(name="Ann", email="ann@x.example.com"),
            Rep(name="Ben", email="ben@x.example.com"),
        )
        s.add_all([ann, ben])
        s.flush()

        def handoff(n: int, priority: str, status: str, reason: str | None = None) -> Handoff:
            lead = Lead(email=f"l{n}@x.example.com")
            s.add(lead)
            s.flush()
            h = Handoff(id=f"h{n}", lead_id=lead.id, created_at=WED, priority=priority,
                        status=status, outcome_reason=reason)  # fmt: skip
            s.add(h)
            return h

        def assign(h: Handoff, attempt: int, rep: Rep, at: datetime) -> None:
            s.add(RepAssignment(handoff_id=h.id, attempt=attempt, rep_id=rep.id, reason="", at=at))

        def ev(h: Handoff, rep: Rep, event: str, at: datetime) -> None:
            s.add(SlaEvent(handoff_id=h.id, lead_id=h.lead_id, rep_id=rep.id, at=at, event=event))

        h1 = handoff(1, "normal", "accepted")
        assign(h1, 1, ann, WED)
        ev(h1, ann, "ack", WED + timedelta(hours=2))  # 2 business hours: in time
        h2 = handoff(2, "normal", "accepted")
        assign(h2, 1, ann, WED)
        ev(h2, ann, "escalation", WED + timedelta(days=1))
        thu = WED + timedelta(days=1, hours=2)
        ev(h2, ben, "reassigned", thu)
        assign(h2, 2, ben, thu)
        ev(h2, ben, "ack", thu + timedelta(hours=1))  # Ben: 1 hour on his own clock
        h3 = handoff(3, "hot", "accepted")
        assign(h3, 1, ben, WED)
        ev(h3, ben, "ack", WED + timedelta(hours=5))  # hot: 2 hours allowed, 5 taken
        h4 = handoff(4, "normal", "withdrawn")
        assign(h4, 1, ann, WED)
        ev(h4, ann, "breach", WED + timedelta(days=5))
        h5 = handoff(5, "normal", "rejected", reason="no_budget")
        assign(h5, 1, ben, WED)
        s.commit()
    return empty_db


def test_sla_compliance_overall_and_per_rep(sales: Engine) -> None:
    with Session(sales) as session:
        overall, per, reasons = kpi_sales.sla(session, SLA.calendar, _window, None, None)
    assert (overall.handoffs, overall.acknowledged, overall.within_sla) == (5, 3, 2)
    assert overall.within_sla_rate == 0.4
    assert sorted(overall.ack_hours) == [1.0, 2.0, 5.0]
    assert overall.ack_percentile(0.5) == 2.0 and overall.ack_percentile(0.9) == 4.4
    assert (overall.escalations, overall.breaches, overall.reassignments) == (1, 1, 1)
    assert reasons == {"no_budget": 1}
    ann, ben = per["Ann"], per["Ben"]
    assert (ann.handoffs, ann.acknowledged, ann.within_sla, ann.escalations, ann.breaches) == (
        3, 1, 1, 1, 1)  # fmt: skip
    assert (ben.handoffs, ben.acknowledged, ben.within_sla) == (3, 2, 1)


@pytest.fixture
def outcomes(empty_db: Engine) -> Engine:  # noqa: F811
    create_schema(empty_db)
    with Session(empty_db) as s:

        def lead(breakdown: dict[str, int], path: list[str]) -> None:
            row = Lead(email=f"{uuid.uuid4().hex[:6]}@x.example.com", score_breakdown=breakdown)
            s.add(row)
            s.flush()
            for i, stage in enumerate(path):
                s.add(StageChange(lead_id=row.id, at=WED + timedelta(hours=i), to_stage=stage))

        handed = ["mql", "sales_pending", "sales_accepted"]
        lead({"pricing_page_view": 15, "decision_maker": 20}, [*handed, "opportunity", "won"])
        lead({"decision_maker": 20}, [*handed, "opportunity"])
        lead({"pricing_page_view": 15}, [*handed, "lost"])
        lead({"pricing_page_view": 15}, ["nurturing"])  # never handed off: not compared
        s.commit()
    return empty_db


def test_scoring_review_compares_leads_with_and_without_each_rule(outcomes: Engine) -> None:
    with Session(outcomes) as session:
        rows = {r.rule: r for r in kpi_sales.scoring_review(
            session, ["pricing_page_view", "decision_maker", "webinar_attended"])}  # fmt: skip
    pricing = rows["pricing_page_view"]
    assert (pricing.leads_with, pricing.leads_without) == (2, 1)
    assert (pricing.opportunity_rate_with, pricing.win_rate_with) == (0.5, 0.5)
    assert (pricing.opportunity_rate_without, pricing.win_rate_without) == (1.0, 0.0)
    maker = rows["decision_maker"]
    assert (maker.opportunity_rate_with, maker.win_rate_with, maker.win_rate_without) == (
        1.0,
        0.5,
        0.0,
    )
    webinar = rows["webinar_attended"]
    assert webinar.leads_with == 0 and webinar.win_rate_with is None
    assert webinar.win_rate_without == round(1 / 3, 4)
