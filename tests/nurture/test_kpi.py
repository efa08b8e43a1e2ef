"""KPI queries on a hand-built history with answers counted by hand, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nurture.db import create_schema
from nurture.repo import kpi
from nurture.tables import Campaign, Handoff, Lead, StageChange

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)


def _lead(
    session: Session, source: str, created: datetime, path: list[str], won: Decimal | None = None
) -> None:
    lead = Lead(email=f"{uuid.uuid4().hex[:8]}@x.example.com", source=source, created_at=created)
    session.add(lead)
    session.flush()
    previous = "new"
    for i, stage in enumerate(path):
        at = created + timedelta(hours=i + 1)
        session.add(StageChange(lead_id=lead.id, at=at, from_stage=previous, to_stage=stage))
        previous = stage
    if path and path[-1] in ("won", "lost", "recycled") and "sales_pending" in path:
        session.add(
            Handoff(
                id=f"handoff-{lead.id}-1",
                lead_id=lead.id,
                created_at=created,
                status={"won": "won", "lost": "lost", "recycled": "rejected"}[path[-1]],
                amount=won,
            )
        )


@pytest.fixture
def history(empty_db: Engine) -> Engine:
    create_schema(empty_db)
    full = ["nurturing", "mql", "sales_pending", "sales_accepted", "opportunity", "won"]
    with Session(empty_db) as s:
        s.add(Campaign(key="wp", name="Whitepaper Q4", channel="whitepaper", cost=Decimal(300000)))
        s.add(Campaign(key="expo", name="DX Expo", channel="expo", cost=Decimal(200000)))
        s.add(
            Campaign(
                key="ads",
                name="Search ads",
                channel="ads",
                cost=Decimal(50000),
                starts_on=date(2026, 11, 1),
            )
        )
        _lead(s, "wp", NOV + timedelta(days=1), full, won=Decimal("1000000"))  # A
        _lead(s, "wp", NOV + timedelta(days=2), ["nurturing", "mql", "sales_pending", "recycled"])
        _lead(s, "wp", NOV + timedelta(days=3), ["nurturing"])  # C
        _lead(s, "wp", NOV + timedelta(days=4), [])  # D: never enrolled
        _lead(
            s,
            "expo",
            NOV + timedelta(days=5),
            ["nurturing", "mql", "sales_pending", "sales_accepted", "lost"],
        )
        _lead(s, "expo", NOV + timedelta(days=6), ["nurturing"])  # F
        _lead(s, "wp", NOV - timedelta(days=30), full, won=Decimal("9999999"))  # G: October
        s.commit()
    return empty_db


def test_funnel_counts_and_rates(history: Engine) -> None:
    with Session(history) as session:
        total, per = kpi.funnel(session, NOV, DEC, None)
    assert total.counts == {
        "new": 6,
        "nurturing": 5,
        "mql": 3,
        "sales_pending": 3,
        "sales_accepted": 2,
        "opportunity": 1,
        "won": 1,
    }
    assert total.rate("nurturing") == round(5 / 6, 4)
    assert total.rate("mql") == 0.6
    assert total.rate("sales_accepted") == round(2 / 3, 4)
    assert total.rate("opportunity") == 0.5 and total.rate("won") == 1.0
    assert total.of_new("won") == round(1 / 6, 4)
    assert per["wp"].counts["new"] == 4 and per["wp"].counts["mql"] == 2
    assert per["expo"].counts == {
        "new": 2,
        "nurturing": 2,
        "mql": 1,
        "sales_pending": 1,
        "sales_accepted": 1,
        "opportunity": 0,
        "won": 0,
    }


def test_funnel_filtered_by_campaign_and_range(history: Engine) -> None:
    with Session(history) as session:
        expo, _ = kpi.funnel(session, NOV, DEC, "expo")
        everything, _ = kpi.funnel(session, None, None, None)
    assert expo.counts["new"] == 2 and expo.counts["won"] == 0
    assert everything.counts["new"] == 7 and everything.counts["won"] == 2  # October's too


def test_campaign_roi(history: Engine) -> None:
    with Session(history) as session:
        rows = {r.key: r for r in kpi.campaigns(session, NOV, DEC, None)}
    wp, expo, ads = rows["wp"], rows["expo"], rows["ads"]
    assert (wp.leads, wp.mqls, wp.opportunities, wp.won) == (4, 2, 1, 1)
    assert wp.cpl == Decimal("75000.00") and wp.cost_per_mql == Decimal("150000.00")
    assert wp.revenue == Decimal("1000000") and wp.roi == Decimal("2.3333")
    assert (expo.leads, expo.cpl, expo.cost_per_mql) == (
        2,
        Decimal("100000.00"),
        Decimal("200000.00"),
    )
    assert expo.revenue == 0 and expo.roi == Decimal("-1.0000")
    assert ads.leads == 0 and ads.cpl is None and ads.roi == Decimal("-1.0000")
