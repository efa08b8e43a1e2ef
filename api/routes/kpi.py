"""Funnel and campaign KPIs for managers (admin token)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import AdminDep, SessionDep
from api.errors import Invalid
from api.responses import errors
from nurture.repo import kpi, kpi_email, kpi_sales
from nurture.rules.scoring_kpi import RuleKpi, scoring_review
from nurture.rules.sla_kpi import SlaFigures, sla_kpi
from nurture.wire_types import QueryDay
from scenarios.scoring import MODEL
from scenarios.sla import SLA

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
    # The end of the last day; the last day there is (9999-12-31) has no end: no bound.
    high = None
    if end is not None and end < date.max:
        high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
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


From = Annotated[QueryDay, Query(alias="from", description="first creation day (UTC)")]
To = Annotated[
    QueryDay, Query(alias="to", description="last creation day (UTC); not before `from`")
]
KPI_ERRORS = errors(401, 422)
CampaignKey = Annotated[str | None, Query(max_length=100)]


@router.get("/funnel", response_model=FunnelReport, responses=KPI_ERRORS)
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


@router.get("/campaigns", response_model=list[CampaignKpi], responses=KPI_ERRORS)
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
        CampaignKpi.model_validate(r, from_attributes=True)
        for r in kpi.campaigns(session, low, high, campaign)
    ]


class SlaReport(BaseModel):
    start: date | None = None
    end: date | None = None
    campaign: str | None = None
    as_of: datetime = Field(description="the moment open clocks were judged against")
    overall: SlaFigures
    by_rep: dict[str, SlaFigures]
    reject_reasons: dict[str, int]


def _window(priority: str) -> timedelta:
    match = next((p for p in SLA.priorities if p.name == priority), None)
    return match.acknowledge_within if match else SLA.priority_for(0).acknowledge_within


@router.get("/sla", response_model=SlaReport, responses=KPI_ERRORS)
def sla(
    session: SessionDep,
    _: AdminDep,
    start: From = None,
    end: To = None,
    campaign: CampaignKey = None,
) -> SlaReport:
    """Handoffs created in the range, of leads from the campaign: the share answered within
    the SLA, time to answer in business hours (median, p90), escalations, reassignments,
    breaches; overall and per rep; reject reasons.

    Sales answers by acknowledging or rejecting; a reject by the deadline is a timely
    answer. Overall, a handoff is within the SLA when its first deadline was met, so one
    answered only after a reassignment is not. Per rep, each assignment has its own clock:
    the rep who missed counts a miss (and a reassignment), the next rep's answer in time
    counts as in time for them. Handoffs whose deadline is still ahead are counted as
    `open_within_sla` and left out of the rate.
    """
    low, high = _range(start, end)
    now = datetime.now(UTC)
    figures = sla_kpi(
        kpi_sales.sla_history(session, low, high, campaign), SLA.calendar, _window, now
    )
    return SlaReport(
        start=start,
        end=end,
        campaign=campaign,
        as_of=now,
        overall=figures.overall,
        by_rep=figures.by_rep,
        reject_reasons=figures.reject_reasons,
    )


class ScoringReport(BaseModel):
    start: date | None = None
    end: date | None = None
    campaign: str | None = None
    rules: list[RuleKpi]
    reject_reasons: dict[str, int]


@router.get("/scoring", response_model=ScoringReport, responses=KPI_ERRORS)
def scoring(
    session: SessionDep,
    _: AdminDep,
    start: From = None,
    end: To = None,
    campaign: CampaignKey = None,
) -> ScoringReport:
    """Which scoring rules predict deals: rates of leads handed off in the range (of the
    campaign) with and without each rule, and why sales rejected the handoffs of the range.
    The input to the periodic review of the scoring model.
    """
    low, high = _range(start, end)
    rules = scoring_review(
        kpi_sales.scoring_history(session, low, high, campaign), MODEL.rule_keys, MODEL.label
    )
    figures = sla_kpi(
        kpi_sales.sla_history(session, low, high, campaign),
        SLA.calendar,
        _window,
        datetime.now(UTC),
    )
    return ScoringReport(
        start=start,
        end=end,
        campaign=campaign,
        rules=rules,
        reject_reasons=figures.reject_reasons,
    )


class StepEmailKpi(BaseModel):
    scenario: str
    step: str
    sent: int
    delivered: int
    bounced: int
    unique_opens: int
    unique_clicks: int
    unsubscribes: int
    open_rate: float | None
    click_rate: float | None
    unsubscribe_rate: float | None
    bounce_rate: float | None
    uncertain: int = Field(
        0,
        description="handed to the relay by a worker that died before the answer: never "
        "re-sent, maybe delivered (see `nurture outbox --status uncertain`)",
    )
    held: int = Field(0, description="waiting for the relay or the SMTP settings to be fixed")
    failed: int = Field(0, description="given up after NURTURE_SMTP_HOLD_DAYS: not delivered")


@router.get("/email", response_model=list[StepEmailKpi], responses=KPI_ERRORS)
def email(
    session: SessionDep,
    _: AdminDep,
    start: From = None,
    end: To = None,
    campaign: CampaignKey = None,
) -> list[StepEmailKpi]:
    """Per scenario step, for mail due in the range to leads of the campaign: sent,
    delivered, bounced, people who opened and clicked (machine traffic excluded),
    unsubscribes, and their rates; and the mail not delivered: of unknown fate, held, failed.
    """
    low, high = _range(start, end)
    return [
        StepEmailKpi(
            scenario=r.scenario,
            step=r.step,
            sent=r.sent,
            delivered=r.delivered,
            bounced=r.bounced,
            unique_opens=r.opens,
            unique_clicks=r.clicks,
            unsubscribes=r.unsubscribes,
            open_rate=r.open_rate,
            click_rate=r.click_rate,
            unsubscribe_rate=r.unsubscribe_rate,
            bounce_rate=r.bounce_rate,
            uncertain=r.uncertain,
            held=r.held,
            failed=r.failed,
        )
        for r in kpi_email.per_step(session, low, high, campaign)
    ]
