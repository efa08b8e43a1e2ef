"""Funnel and campaign KPIs for managers (admin token)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import AdminDep, SessionDep
from api.errors import Invalid
from nurture.repo import kpi

router = APIRouter(prefix="/v1/kpi", tags=["kpi"])


class StageCount(BaseModel):
    stage: str
    count: int
    rate_from_previous: float | None
    rate_from_new: float | None


class FunnelOut(BaseModel):
    stages: list[StageCount]


class FunnelReport(BaseModel):
    start: date | None
    end: date | None
    campaign: str | None
    overall: FunnelOut
    by_campaign: dict[str, FunnelOut]


class CampaignKpi(BaseModel):
    key: str
    name: str
    channel: str
    cost: Decimal
    leads: int
    cpl: Decimal | None
    mqls: int
    cost_per_mql: Decimal | None
    opportunities: int
    won: int
    revenue: Decimal
    roi: Decimal | None


def _range(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Dates as UTC bounds: leads created from the start of `start` to the end of `end`."""
    if start and end and end < start:
        raise Invalid("`to` is before `from`")
    low = datetime.combine(start, time(0), tzinfo=UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC) if end else None
    return low, high


def _funnel(f: kpi.Funnel) -> FunnelOut:
    return FunnelOut(
        stages=[
            StageCount(
                stage=s, count=f.counts[s], rate_from_previous=f.rate(s), rate_from_new=f.of_new(s)
            )
            for s in kpi.FUNNEL
        ]
    )


From = Annotated[date | None, Query(alias="from", description="first creation day (UTC)")]
To = Annotated[date | None, Query(alias="to", description="last creation day (UTC)")]
CampaignKey = Annotated[str | None, Query(max_length=100)]


@router.get("/funnel", response_model=FunnelReport)
def funnel(
    session: SessionDep,
    _: AdminDep,
    start: From = None,
    end: To = None,
    campaign: CampaignKey = None,
) -> FunnelReport:
    """Leads created in the range (a cohort) and how far they got, overall and per campaign."""
    low, high = _range(start, end)
    total, per = kpi.funnel(session, low, high, campaign)
    return FunnelReport(
        start=start, end=end, campaign=campaign, overall=_funnel(total),
        by_campaign={k: _funnel(v) for k, v in per.items()},
    )  # fmt: skip


@router.get("/campaigns", response_model=list[CampaignKpi])
def campaigns(
    session: SessionDep,
    _: AdminDep,
    start: From = None,
    end: To = None,
    campaign: CampaignKey = None,
) -> list[CampaignKpi]:
    """Leads, CPL, MQLs, cost per MQL, opportunities, wins, revenue and ROI per campaign."""
    low, high = _range(start, end)
    return [
        CampaignKpi(
            key=r.key,
            name=r.name,
            channel=r.channel,
            cost=r.cost,
            leads=r.leads,
            cpl=r.cpl,
            mqls=r.mqls,
            cost_per_mql=r.cost_per_mql,
            opportunities=r.opportunities,
            won=r.won,
            revenue=r.revenue,
            roi=r.roi,
        )
        for r in kpi.campaigns(session, low, high, campaign)
    ]
