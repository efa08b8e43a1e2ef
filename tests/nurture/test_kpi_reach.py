"""One definition of handed off, accepted, opportunity and won, whatever the lead's stage
history skipped, counted alike by the funnel, campaign ROI, SLA and scoring review; on
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nurture.db import create_schema
from nurture.repo import kpi, kpi_sales
from nurture.rules.funnel_kpi import SalesCounts
from nurture.rules.scoring_kpi import scoring_review
from nurture.tables import Campaign, Handoff, Lead, SlaEvent, StageChange

DAY = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def _lead(
    s: Session,
    source: str,
    path: list[str],
    handoff: list[str] | None = None,
    breakdown: dict[str, int] | None = None,
) -> Lead:
    """A lead whose stage history is `path` (a second apart) and, with `handoff`, a handoff
    made a second after its MQL whose SLA events are `handoff` (after `assigned`)."""
    lead = Lead(
        email=f"{uuid.uuid4().hex[:8]}@x.example.com",
        source=source,
        created_at=DAY,
        score_breakdown=breakdown or {},
    )
    s.add(lead)
    s.flush()
    previous = "new"
    for i, stage in enumerate(path):
        at = DAY + timedelta(seconds=i + 1)
        s.add(StageChange(lead_id=lead.id, at=at, from_stage=previous, to_stage=stage))
        previous = stage
    if handoff is not None:
        made = DAY + timedelta(seconds=len(path))
        last = handoff[-1] if handoff else "pending"
        status = {"ack": "accepted", "reject": "rejected"}.get(last, last)
        row = Handoff(id=f"h-{lead.id}", lead_id=lead.id, created_at=made, status=status)
        row.amount = Decimal(500000) if status == "won" else None
        s.add(row)
        for i, event in enumerate(["assigned", *handoff]):
            at = made + timedelta(milliseconds=100 * i)
            s.add(SlaEvent(handoff_id=row.id, lead_id=lead.id, at=at, event=event))
    return lead


@pytest.fixture
def skipped(empty_db: Engine) -> Engine:
    """Campaign wp: A acknowledged within a second and won (mql → sales_accepted, no
    sales_pending row); B rejected at once (mql → recycled); C the whole way to an
    opportunity; D an MQL not yet handed off. Campaign ads: E handed off, pending."""
    create_schema(empty_db)
    with Session(empty_db) as s:
        s.add(Campaign(key="wp", name="Whitepaper", channel="whitepaper", cost=Decimal(100000)))
        quick = ["nurturing", "mql", "sales_accepted", "opportunity", "won"]
        _lead(s, "wp", quick, ["ack", "opportunity", "won"], {"pricing_page_view": 15})
        _lead(s, "wp", ["nurturing", "mql", "recycled"], ["reject"], {"pricing_page_view": 15})
        full = ["nurturing", "mql", "sales_pending", "sales_accepted", "opportunity"]
        _lead(s, "wp", full, ["ack", "opportunity"])
        _lead(s, "wp", ["nurturing", "mql"])
        _lead(s, "ads", ["nurturing", "mql", "sales_pending"], [])
        s.commit()
    return empty_db


WP = SalesCounts(handed_off=3, accepted=2, opportunities=2, won=1)
ADS = SalesCounts(handed_off=1, accepted=0, opportunities=0, won=0)


def test_a_lead_acknowledged_at_once_is_handed_off_in_the_funnel(skipped: Engine) -> None:
    with Session(skipped) as session:
        total, per = kpi.funnel(session, None, None, None)
    assert total.counts == {
        "new": 5,
        "nurturing": 5,
        "mql": 5,
        "sales_pending": 4,  # A (ack within a second) and B (rejected at once) too
        "sales_accepted": 2,
        "opportunity": 2,
        "won": 1,
    }
    wp = per["wp"].counts
    assert (wp["sales_pending"], wp["sales_accepted"], wp["opportunity"], wp["won"]) == (
        3,
        2,
        2,
        1,
    )


def test_every_kpi_counts_the_same_handed_off_leads(skipped: Engine) -> None:
    with Session(skipped) as session:
        for campaign, expected in (("wp", WP), ("ads", ADS)):
            (row,) = kpi.campaigns(session, None, None, campaign)
            assert (row.handed_off, row.accepted, row.opportunities, row.won) == (
                expected.handed_off,
                expected.accepted,
                expected.opportunities,
                expected.won,
            )
            assert kpi_sales.sales_of_handoffs(session, None, None, campaign) == expected
            assert kpi_sales.scoring_history(session, campaign=campaign).sales == expected
        everyone = kpi_sales.scoring_history(session)
        assert everyone.sales == SalesCounts(handed_off=4, accepted=2, opportunities=2, won=1)


def test_the_scoring_review_sees_the_quick_win(skipped: Engine) -> None:
    with Session(skipped) as session:
        (pricing,) = scoring_review(
            kpi_sales.scoring_history(session, campaign="wp"), ["pricing_page_view"], str
        )
    # with pricing: A (won) and B (rejected); without: C (an opportunity)
    assert (pricing.leads_with, pricing.leads_without) == (2, 1)
    assert (pricing.win_rate_with, pricing.win_rate_without) == (0.5, 0.0)
    assert (pricing.opportunity_rate_with, pricing.opportunity_rate_without) == (0.5, 1.0)


def test_handed_off_in_a_range_is_by_the_handoff_moment(skipped: Engine) -> None:
    later = DAY + timedelta(days=1)
    with Session(skipped) as session:
        assert kpi_sales.scoring_history(session, start=later).sales == SalesCounts()
        assert kpi_sales.sales_of_handoffs(session, DAY, later) == SalesCounts(
            handed_off=4, accepted=2, opportunities=2, won=1
        )


def test_a_lead_handed_off_before_the_range_and_won_in_it_was_not_handed_off_in_it(
    empty_db: Engine,
) -> None:
    """Handed off and accepted on Jan 5, won on Feb 10: February's SLA and scoring review
    have no handoff of it; January's have it, with its win."""
    create_schema(empty_db)
    jan5, feb10 = datetime(2026, 1, 5, 1, tzinfo=UTC), datetime(2026, 2, 10, 1, tzinfo=UTC)
    feb1, mar1 = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    with Session(empty_db) as s:
        lead = Lead(email="late-win@x.example.com", source="wp", created_at=jan5)
        s.add(lead)
        s.flush()
        for at, before, after in (
            (jan5, "nurturing", "mql"),
            (jan5 + timedelta(seconds=1), "mql", "sales_accepted"),
            (feb10, "sales_accepted", "won"),
        ):
            s.add(StageChange(lead_id=lead.id, at=at, from_stage=before, to_stage=after))
        s.add(Handoff(id="h-late", lead_id=lead.id, created_at=jan5, status="won"))
        s.commit()
    with Session(empty_db) as session:
        assert kpi_sales.scoring_history(session, feb1, mar1).sales == SalesCounts()
        assert kpi_sales.sales_of_handoffs(session, feb1, mar1) == SalesCounts()
        january = kpi_sales.scoring_history(session, datetime(2026, 1, 1, tzinfo=UTC), feb1)
        assert january.sales == SalesCounts(handed_off=1, accepted=1, opportunities=1, won=1)
