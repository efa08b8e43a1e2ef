"""Multi-touch attribution over the read model, on SQLite and PostgreSQL: a hand-built
history with answers worked out by hand, and a generated one whose totals must hold under
every model."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.schemas.attribution import AttributionReport
from api.services.attribution import attribution
from api.services.kpi import Period
from nurture.db import create_schema
from nurture.repo import touches
from nurture.rules.attribution import AttributionModel
from nurture.tables import Campaign, Handoff, Lead, SlaEvent, StageChange

M = AttributionModel
NOV = Period(date(2026, 11, 1), date(2026, 11, 30))
EVERYTHING = Period()
ZERO = Decimal(0)


def _day(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class Story:
    """One lead's touches and outcomes, as the workflows would have recorded them."""

    touches: list[tuple[str, datetime]] = field(default_factory=list)
    mql_at: datetime | None = None
    opportunity: tuple[datetime, Decimal | None] | None = None
    won: tuple[datetime, Decimal] | None = None
    lost_at: datetime | None = None


def _write(session: Session, story: Story) -> None:
    source = story.touches[0][0] if story.touches else ""  # its first touch was its intake
    lead = Lead(
        email=f"{uuid.uuid4().hex[:10]}@customer.example.com", created_at=_day(8, 1), source=source
    )
    session.add(lead)
    session.flush()
    for i, (campaign, at) in enumerate(story.touches):
        touches.add(session, lead.id, campaign, "webinar_registered", at, f"evt-{i}")
    if story.mql_at is None:
        return
    stages = [("mql", story.mql_at), ("sales_pending", story.mql_at + timedelta(minutes=1))]
    handoff = Handoff(
        id=f"handoff-{lead.id}-1", lead_id=lead.id, created_at=stages[-1][1], status="pending"
    )
    if story.opportunity:
        at, amount = story.opportunity
        stages.append(("opportunity", at))
        handoff.status, handoff.amount = "opportunity", amount
        session.add(
            SlaEvent(
                handoff_id=handoff.id, lead_id=lead.id, at=at, event="opportunity", amount=amount
            )
        )
    if story.won:
        at, amount = story.won
        stages.append(("won", at))
        handoff.status, handoff.amount, handoff.closed_at = "won", amount, at
        session.add(
            SlaEvent(handoff_id=handoff.id, lead_id=lead.id, at=at, event="won", amount=amount)
        )
    if story.lost_at:
        stages.append(("lost", story.lost_at))
        handoff.status, handoff.closed_at = "lost", story.lost_at
    if story.opportunity or story.won or story.lost_at:
        session.add(handoff)
    for stage, at in stages:
        session.add(StageChange(lead_id=lead.id, at=at, to_stage=stage))


def _report(engine: Engine, period: Period, model: AttributionModel) -> AttributionReport:
    with Session(engine) as session:
        return attribution(session, period, model)


def _column(report: AttributionReport, name: str) -> dict[str, Decimal]:
    return {c.key: getattr(c, name) for c in report.campaigns if getattr(c, name)}


A_WON = Decimal(1_000_000)
STORIES = {
    # wp, expo, ads, then qualified and an opportunity; seo after it; won in November
    "A": Story(
        touches=[
            ("wp", _day(11, 2)),
            ("expo", _day(11, 3)),
            ("ads", _day(11, 4)),
            ("seo", _day(11, 7)),
        ],
        mql_at=_day(11, 4, 10),
        opportunity=(_day(11, 6), A_WON),
        won=(_day(11, 8), A_WON),
    ),
    # one touch, a seminar; won without an opportunity stage
    "B": Story(
        touches=[("seminar", _day(11, 5))],
        mql_at=_day(11, 5, 12),
        won=(_day(11, 9), Decimal(300_000)),
    ),
    # no touch at all: won
    "C": Story(mql_at=_day(11, 10), won=(_day(11, 12), Decimal("50000.50"))),
    # touched, nothing else
    "D": Story(touches=[("wp", _day(11, 11))]),
    # October: touched, qualified and won before the range
    "E": Story(
        touches=[("wp", _day(10, 1))], mql_at=_day(10, 2), won=(_day(10, 10), Decimal(9_999_999))
    ),
}


@pytest.fixture
def history(empty_db: Engine) -> Engine:
    create_schema(empty_db)
    with Session(empty_db) as s:
        s.add(Campaign(key="wp", name="Whitepaper Q4", channel="whitepaper", cost=Decimal(300_000)))
        s.add(Campaign(key="expo", name="DX Expo", channel="expo", cost=Decimal(200_000)))
        s.add(Campaign(key="ads", name="Search ads", channel="ads", cost=Decimal(100_000)))
        for story in STORIES.values():
            _write(s, story)
        s.commit()
    return empty_db


def test_each_model_on_the_hand_built_history(history: Engine) -> None:
    reports = {m: _report(history, NOV, m) for m in M}
    won = {m: _column(r, "won_revenue") for m, r in reports.items()}
    for report in reports.values():  # B's single touch takes all of B, whatever the model
        b = next(c for c in report.campaigns if c.key == "seminar")
        assert (b.mqls, b.opportunities, b.pipeline) == (Decimal(1), Decimal(1), Decimal(300_000))
    seminar, nobody = Decimal(300_000), Decimal("50000.50")
    assert won[M.FIRST] == {"wp": A_WON, "seminar": seminar, "": nobody}
    assert won[M.LAST] == {"ads": A_WON, "seminar": seminar, "": nobody}  # not seo: after the deal
    assert won[M.LINEAR] == {
        "ads": Decimal("333333.34"),  # the cent left over goes to the first key of the tie
        "expo": Decimal("333333.33"),
        "wp": Decimal("333333.33"),
        "seminar": seminar,
        "": nobody,
    }
    assert won[M.POSITION] == {
        "wp": Decimal(400_000),
        "expo": Decimal(200_000),
        "ads": Decimal(400_000),
        "seminar": seminar,
        "": nobody,
    }


def test_position_rows_in_full(history: Engine) -> None:
    report = _report(history, NOV, M.POSITION)
    rows = {c.key: c for c in report.campaigns}
    assert list(rows) == ["", "ads", "expo", "seminar", "seo", "wp"]
    wp, expo, ads, seo = rows["wp"], rows["expo"], rows["ads"], rows["seo"]
    assert (wp.touched_leads, expo.touched_leads, seo.touched_leads) == (2, 1, 1)  # A, D; A; A
    assert (wp.mqls, expo.mqls, ads.mqls, rows["seminar"].mqls, rows[""].mqls) == (
        Decimal("0.4"),
        Decimal("0.2"),
        Decimal("0.4"),
        Decimal(1),
        Decimal(1),
    )
    assert (wp.opportunities, wp.pipeline) == (Decimal("0.4"), Decimal(400_000))
    assert (rows["seminar"].opportunities, rows["seminar"].pipeline) == (
        Decimal(1),
        Decimal(300_000),
    )
    assert (seo.mqls, seo.opportunities, seo.won_revenue) == (ZERO, ZERO, ZERO)
    assert (wp.cost, wp.roi) == (Decimal(300_000), Decimal("0.3333"))
    assert (ads.roi, expo.roi) == (Decimal(3), Decimal(0))
    assert (seo.cost, seo.roi, seo.name, seo.channel) == (None, None, "seo", "unknown")
    assert (rows[""].name, rows[""].cost) == ("(no campaign)", None)
    assert report.total.touched_leads == 3  # A, B, D; E was touched in October
    assert (report.total.mqls, report.total.opportunities) == (Decimal(3), Decimal(3))
    assert report.total.won_revenue == Decimal("1350000.50")
    assert report.total.cost == Decimal(600_000)


def test_the_range_picks_the_outcomes(history: Engine) -> None:
    everything = _report(history, EVERYTHING, M.FIRST)
    assert _column(everything, "won_revenue")["wp"] == A_WON + Decimal(9_999_999)
    assert everything.total.mqls == 4
    assert _column(everything, "touched_leads")["wp"] == 3
    december = _report(history, Period(date(2026, 12, 1), None), M.FIRST)
    assert december.total.won_revenue == 0 and december.total.touched_leads == 0
    assert "" not in {c.key for c in december.campaigns}  # nothing to credit to nobody
    assert {c.key for c in december.campaigns} == {"wp", "expo", "ads"}  # the recorded ones


# --- a generated history: the totals hold under every model ---------------------------

CAMPAIGNS = ["wp", "expo", "ads", "seo", "webinar", "seminar"]


def _generated(seed: int, leads: int) -> list[Story]:
    rng = random.Random(seed)
    start = _day(9, 1)
    stories = []
    for _ in range(leads):
        story = Story()
        moments = sorted(
            start + timedelta(hours=rng.randrange(24 * 110)) for _ in range(rng.randrange(5))
        )
        story.touches = [(rng.choice(CAMPAIGNS), at) for at in moments]
        if rng.random() < 0.7:
            story.mql_at = start + timedelta(hours=rng.randrange(24 * 100))
            later = story.mql_at + timedelta(hours=rng.randrange(1, 24 * 20))
            amount = Decimal(rng.randrange(1, 10**8)) / 100
            fate = rng.random()
            if fate < 0.3:
                story.opportunity = (later, amount if rng.random() < 0.8 else None)
                if rng.random() < 0.6:
                    story.won = (later + timedelta(days=rng.randrange(1, 30)), amount)
                else:
                    story.lost_at = later + timedelta(days=3)
            elif fate < 0.45:
                story.won = (later, amount)  # won without an opportunity stage
        stories.append(story)
    return stories


def _inside(at: datetime | None, period: Period) -> bool:
    low, high = period.low, period.high
    return at is not None and (low is None or at >= low) and (high is None or at < high)


def _deal(story: Story) -> tuple[datetime, Decimal] | None:
    """When the story's deal became an opportunity, and its pipeline."""
    if story.opportunity:
        at, amount = story.opportunity
        return at, amount or (story.won[1] if story.won else Decimal(0))
    return story.won


def test_the_campaign_filter_keeps_the_leads_that_came_from_it(history: Engine) -> None:
    """As in every KPI, `campaign` picks the leads by source (A and D came from wp; B from
    the seminar): their outcomes, credited to every campaign that touched them."""
    wp = Period(NOV.start, NOV.end, "wp")
    position = _report(history, wp, M.POSITION)
    assert _column(position, "won_revenue") == {
        "wp": Decimal(400_000),
        "expo": Decimal(200_000),
        "ads": Decimal(400_000),
    }
    assert position.total.won_revenue == A_WON and position.total.mqls == 1
    assert _column(position, "touched_leads") == {"wp": 2, "expo": 1, "ads": 1, "seo": 1}
    # only the campaigns that reached these leads; their costs were spent on all leads
    assert {c.key for c in position.campaigns} == {"wp", "expo", "ads", "seo"}
    assert all(c.cost is None and c.roi is None for c in position.campaigns)
    assert position.total.roi is None
    assert _column(_report(history, wp, M.FIRST), "won_revenue") == {"wp": A_WON}
    seminar = _report(history, Period(NOV.start, NOV.end, "seminar"), M.LAST)
    assert _column(seminar, "won_revenue") == {"seminar": Decimal(300_000)}


@pytest.mark.parametrize("period", [EVERYTHING, NOV], ids=["everything", "november"])
def test_generated_totals_hold_for_every_model(empty_db: Engine, period: Period) -> None:
    create_schema(empty_db)
    stories = _generated(seed=12, leads=150)
    with Session(empty_db) as s:
        s.add(Campaign(key="wp", name="Whitepaper", channel="whitepaper", cost=Decimal(123_456)))
        for story in stories:
            _write(s, story)
        s.commit()
    won = sum((st.won[1] for st in stories if st.won and _inside(st.won[0], period)), Decimal(0))
    mqls = sum(1 for st in stories if _inside(st.mql_at, period))
    deals = [d for d in map(_deal, stories) if d is not None and _inside(d[0], period)]
    assert won > 0 and mqls > 0 and deals
    for model in M:
        report = _report(empty_db, period, model)
        assert sum(c.won_revenue for c in report.campaigns) == won, model
        assert report.total.won_revenue == won, model
        assert sum(c.mqls for c in report.campaigns) == mqls == report.total.mqls, model
        assert sum(c.opportunities for c in report.campaigns) == len(deals), model
        assert sum(c.pipeline for c in report.campaigns) == sum(d[1] for d in deals), model
