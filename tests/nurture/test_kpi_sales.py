"""SLA and scoring-review KPIs on a hand-built history, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nurture.db import create_schema
from nurture.repo import kpi_sales
from nurture.rules import scoring_kpi, sla_kpi
from nurture.rules.scoring_kpi import RuleKpi
from nurture.rules.sla_kpi import SlaFigures
from nurture.tables import Handoff, Lead, Rep, SlaEvent, StageChange
from scenarios.sla import SLA

JST = ZoneInfo("Asia/Tokyo")
WED = datetime(2026, 11, 25, 10, 0, tzinfo=JST)  # normal due Thu 10:00, hot due Wed 12:00
THU, FRI = WED + timedelta(days=1), WED + timedelta(days=2)
MON = datetime(2026, 11, 30, 9, 0, tzinfo=JST)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=JST)
WINDOWS = {"normal": timedelta(hours=9), "hot": timedelta(hours=2)}


def _window(priority: str) -> timedelta:
    return WINDOWS[priority]


@pytest.fixture
def sales(empty_db: Engine) -> Engine:
    """Eight handoffs, h1-h4 of campaign wp, h5-h8 of expo, as the handoff workflow logs them.

    | handoff | clocks (rep: start → answer)                      | overall          |
    |---------|----------------------------------------------------|------------------|
    | h1      | Ann: Wed 10 → ack Wed 12 (2 h, in time)            | in time, 2 h     |
    | h2      | Ann: Wed 10 → escalated, reassigned Thu 12;        | late, 12 h       |
    |         | Ben: Thu 12 → ack Thu 13 (1 h, in time for Ben)    |                  |
    | h3 hot  | Ben: Wed 10 → ack Wed 15 (5 h, due Wed 12: late)   | late, 5 h        |
    | h4      | Ann: Wed 10 → escalated, reassigned Thu 12;        | missed, no answer|
    |         | Ben: Thu 12 → escalated Fri 13, breach Fri 14      |                  |
    | h5      | Ben: Wed 10 → reject no_budget Wed 11 (1 h)        | in time, 1 h     |
    | h6      | Ann: Mon 10 → nothing yet, due Tue 10              | open within SLA  |
    | h7 hot  | Ben: Mon 9 → nothing, due Mon 11, reminded         | missed (overdue) |
    | h8      | Ann: Wed 10 → ack Wed 13 (3 h), reject not_a_fit   | in time, 3 h     |
    """
    create_schema(empty_db)
    with Session(empty_db) as s:
        ann, ben = (
            Rep(name="Ann", email="ann@x.example.com"),
            Rep(name="Ben", email="ben@x.example.com"),
        )
        s.add_all([ann, ben])
        s.flush()

        def handoff(
            n: int, priority: str, status: str, at: datetime, rep: Rep, reason: str | None = None
        ) -> Handoff:
            lead = Lead(email=f"l{n}@x.example.com", source="wp" if n <= 4 else "expo")
            s.add(lead)
            s.flush()
            h = Handoff(
                id=f"h{n}",
                lead_id=lead.id,
                created_at=at,
                priority=priority,
                status=status,
                outcome_reason=reason,
                rep_id=rep.id,
            )
            s.add(h)
            ev(h, rep, "assigned", at)
            return h

        def ev(h: Handoff, rep: Rep, event: str, at: datetime) -> None:
            s.add(SlaEvent(handoff_id=h.id, lead_id=h.lead_id, rep_id=rep.id, at=at, event=event))

        h1 = handoff(1, "normal", "accepted", WED, ann)
        ev(h1, ann, "ack", WED + timedelta(hours=2))
        h2 = handoff(2, "normal", "accepted", WED, ann)
        ev(h2, ann, "reminder", THU)
        ev(h2, ann, "escalation", THU + timedelta(hours=1))
        ev(h2, ben, "reassigned", THU + timedelta(hours=2))
        ev(h2, ben, "ack", THU + timedelta(hours=3))
        h3 = handoff(3, "hot", "accepted", WED, ben)
        ev(h3, ben, "ack", WED + timedelta(hours=5))
        h4 = handoff(4, "normal", "withdrawn", WED, ann)
        ev(h4, ann, "escalation", THU + timedelta(hours=1))
        ev(h4, ben, "reassigned", THU + timedelta(hours=2))
        ev(h4, ben, "escalation", FRI + timedelta(hours=3))
        ev(h4, ben, "breach", FRI + timedelta(hours=4))
        h5 = handoff(5, "normal", "rejected", WED, ben, reason="no_budget")
        ev(h5, ben, "reject", WED + timedelta(hours=1))
        handoff(6, "normal", "pending", MON + timedelta(hours=1), ann)
        h7 = handoff(7, "hot", "pending", MON, ben)
        ev(h7, ben, "reminder", MON + timedelta(hours=2))
        h8 = handoff(8, "normal", "rejected", WED, ann, reason="not_a_fit")
        ev(h8, ann, "ack", WED + timedelta(hours=3))
        ev(h8, ann, "reject", THU)
        s.commit()
    return empty_db


def _sla(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    campaign: str | None = None,
    now: datetime = NOW,
) -> tuple[SlaFigures, dict[str, SlaFigures], dict[str, int]]:
    """The rows of the data layer, through the SLA rules."""
    history = kpi_sales.sla_history(session, start, end, campaign)
    kpi = sla_kpi.sla_kpi(history, SLA.calendar, _window, now)
    return kpi.overall, kpi.by_rep, kpi.reject_reasons


def _review(session: Session, rules: list[str], **filters: Any) -> list[RuleKpi]:
    history = kpi_sales.scoring_history(session, **filters)
    return scoring_kpi.scoring_review(history, rules, str)


def _figures(s: SlaFigures) -> tuple[int, ...]:
    return (
        s.handoffs,
        s.acknowledged,
        s.rejected_without_ack,
        s.within_sla,
        s.missed_sla,
        s.open_within_sla,
        s.escalations,
        s.reassignments,
        s.breaches,
    )


def test_sla_overall_counts_the_first_clock(sales: Engine) -> None:
    with Session(sales) as session:
        overall, _, reasons = _sla(session)
    # in time h1 h5 h8; missed h2 h3 (late) h4 h7 (never); open h6; acked h1 h2 h3 h8
    assert _figures(overall) == (8, 4, 1, 3, 4, 1, 3, 2, 1)
    assert overall.within_sla_rate == round(3 / 7, 4)  # the open h6 is not a failure (yet)
    # business hours to the answer 1, 2, 3, 5 and 12 (h2: Wed 10 to Thu 13)
    assert overall.median_ack_business_hours == 3.0 and overall.p90_ack_business_hours == 9.2
    assert reasons == {"no_budget": 1, "not_a_fit": 1}


def test_sla_per_rep_runs_a_clock_per_assignment(sales: Engine) -> None:
    with Session(sales) as session:
        _, per, _ = _sla(session)
    ann, ben = per["Ann"], per["Ben"]
    # Ann: h1 h8 in time; h2 h4 missed and taken from her; h6 open
    assert _figures(ann) == (5, 2, 0, 2, 2, 1, 2, 2, 0)
    assert ann.within_sla_rate == 0.5  # answered in 2 and 3 business hours
    assert ann.median_ack_business_hours == 2.5 and ann.p90_ack_business_hours == 2.9
    # Ben: h2 (1 h on his own clock) and h5 (reject) in time; h3 late, h4 breached, h7 overdue
    assert _figures(ben) == (5, 2, 1, 2, 3, 0, 1, 0, 1)
    assert ben.within_sla_rate == 0.4  # answered in 1, 1 and 5 business hours
    assert ben.median_ack_business_hours == 1.0 and ben.p90_ack_business_hours == 4.2
    assert set(per) == {"Ann", "Ben"}


def test_sla_a_clock_closes_when_its_deadline_passes(sales: Engine) -> None:
    later = NOW + timedelta(days=1)  # Tue 12:00: h6 (due Tue 10:00) is missed now
    with Session(sales) as session:
        overall, per, _ = _sla(session, now=later)
    assert (overall.within_sla, overall.missed_sla, overall.open_within_sla) == (3, 5, 0)
    assert overall.within_sla_rate == 0.375 and per["Ann"].within_sla_rate == 0.4


def test_sla_filtered_by_campaign_and_range(sales: Engine) -> None:
    with Session(sales) as session:
        wp, wp_reps, wp_reasons = _sla(session, campaign="wp")
        expo, _, expo_reasons = _sla(session, campaign="expo")
        last_week, _, _ = _sla(session, end=MON)
    assert _figures(wp) == (4, 3, 0, 1, 3, 0, 3, 2, 1) and wp.within_sla_rate == 0.25
    assert _figures(wp_reps["Ben"]) == (3, 2, 0, 1, 2, 0, 1, 0, 1) and wp_reasons == {}
    assert _figures(expo) == (4, 1, 1, 2, 1, 1, 0, 0, 0)
    assert expo.within_sla_rate == round(2 / 3, 4)
    assert expo_reasons == {"no_budget": 1, "not_a_fit": 1}
    assert (last_week.handoffs, last_week.within_sla, last_week.open_within_sla) == (6, 3, 0)
    assert last_week.within_sla_rate == 0.5


@pytest.fixture
def outcomes(empty_db: Engine) -> Engine:
    create_schema(empty_db)
    with Session(empty_db) as s:

        def lead(
            breakdown: dict[str, int], path: list[str], source: str = "wp", day: datetime = WED
        ) -> None:
            row = Lead(
                email=f"{uuid.uuid4().hex[:6]}@x.example.com",
                score_breakdown=breakdown,
                source=source,
            )
            s.add(row)
            s.flush()
            for i, stage in enumerate(path):
                s.add(StageChange(lead_id=row.id, at=day + timedelta(hours=i), to_stage=stage))

        handed = ["mql", "sales_pending", "sales_accepted"]
        lead({"pricing_page_view": 15, "decision_maker": 20}, [*handed, "opportunity", "won"])
        lead({"decision_maker": 20}, [*handed, "opportunity"])
        lead({"pricing_page_view": 15}, [*handed, "lost"], source="expo", day=THU)
        lead({"pricing_page_view": 15}, ["nurturing"])  # never handed off: not compared
        s.commit()
    return empty_db


def test_scoring_review_compares_leads_with_and_without_each_rule(outcomes: Engine) -> None:
    with Session(outcomes) as session:
        rows = {
            r.rule: r
            for r in _review(session, ["pricing_page_view", "decision_maker", "webinar_attended"])
        }
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


def test_scoring_review_filtered_by_campaign_and_handoff_day(outcomes: Engine) -> None:
    rules = ["pricing_page_view"]
    with Session(outcomes) as session:
        (wp,) = _review(session, rules, campaign="wp")
        (before_thu,) = _review(session, rules, end=THU)
        (from_thu,) = _review(session, rules, start=THU)
        (none,) = _review(session, rules, campaign="ads")
    # wp, and handed off before Thursday: the won lead with pricing, the opportunity without
    for row in (wp, before_thu):
        assert (row.leads_with, row.leads_without) == (1, 1)
        assert (row.opportunity_rate_with, row.win_rate_with) == (1.0, 1.0)
        assert (row.opportunity_rate_without, row.win_rate_without) == (1.0, 0.0)
    assert (from_thu.leads_with, from_thu.leads_without, from_thu.win_rate_with) == (1, 0, 0.0)
    assert from_thu.win_rate_without is None
    assert (none.leads_with, none.leads_without) == (0, 0)
