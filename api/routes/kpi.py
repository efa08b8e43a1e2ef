"""Funnel and campaign KPIs for managers (admin token)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import AdminDep, SessionDep
from api.errors import Invalid
from nurture.repo import kpi, kpi_email, kpi_sales
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
        CampaignKpi.model_validate(r, from_attributes=True)
        for r in kpi.campaigns(session, low, high, campaign)
    ]


class SlaFigures(BaseModel):
    handoffs: int
    acknowledged: int
    within_sla: int
    within_sla_rate: float | None
    median_ack_business_hours: float | None
    p90_ack_business_hours: float | None
    escalations: int
    reassignments: int
    breaches: int


class SlaReport(BaseModel):
    overall: SlaFigures
    by_rep: dict[str, SlaFigures]
    reject_reasons: dict[str, int]


def _sla(s: kpi_sales.SlaStats) -> SlaFigures:
    return SlaFigures(
        handoffs=s.handoffs,
        acknowledged=s.acknowledged,
        within_sla=s.within_sla,
        within_sla_rate=s.within_sla_rate,
        median_ack_business_hours=s.ack_percentile(0.5),
        p90_ack_business_hours=s.ack_percentile(0.9),
        escalations=s.escalations,
        reassignments=s.reassignments,
        breaches=s.breaches,
    )


def _window(priority: str) -> timedelta:
    match = next((p for p in SLA.priorities if p.name == priority), None)
    return match.acknowledge_within if match else SLA.priority_for(0).acknowledge_within


@router.get("/sla", response_model=SlaReport)
def sla(session: SessionDep, _: AdminDep, start: From = None, end: To = None) -> SlaReport:
    """Handoffs created in the range: acknowledged within the SLA, time to acknowledge in
    business hours (median, p90), escalations, reassignments, breaches; per rep; reject reasons.
    """
    low, high = _range(start, end)
    overall, per, reasons = kpi_sales.sla(session, SLA.calendar, _window, low, high)
    return SlaReport(
        overall=_sla(overall),
        by_rep={rep: _sla(s) for rep, s in sorted(per.items())},
        reject_reasons=dict(reasons.most_common()),
    )


class RuleKpi(BaseModel):
    rule: str
    label: str
    leads_with: int
    leads_without: int
    opportunity_rate_with: float | None
    opportunity_rate_without: float | None
    win_rate_with: float | None
    win_rate_without: float | None
    win_lift: float | None


class ScoringReport(BaseModel):
    rules: list[RuleKpi]
    reject_reasons: dict[str, int]


@router.get("/scoring", response_model=ScoringReport)
def scoring(session: SessionDep, _: AdminDep) -> ScoringReport:
    """Which scoring rules predict deals: rates of handed-off leads with and without each rule,
    and why sales rejected leads. The input to the periodic review of the scoring model.
    """
    keys = MODEL.rule_keys
    rows = kpi_sales.scoring_review(session, keys)
    *_figures, reasons = kpi_sales.sla(session, SLA.calendar, _window, None, None)
    return ScoringReport(
        rules=[
            RuleKpi(
                rule=r.rule,
                label=MODEL.label(r.rule),
                leads_with=r.leads_with,
                leads_without=r.leads_without,
                opportunity_rate_with=r.opportunity_rate_with,
                opportunity_rate_without=r.opportunity_rate_without,
                win_rate_with=r.win_rate_with,
                win_rate_without=r.win_rate_without,
                win_lift=r.win_lift,
            )
            for r in rows
        ],
        reject_reasons=dict(reasons.most_common()),
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


@router.get("/email", response_model=list[StepEmailKpi])
def email(
    session: SessionDep, _: AdminDep, start: From = None, end: To = None
) -> list[StepEmailKpi]:
    """Per scenario step, for mail sent in the range: sent, delivered, bounced, people who
    opened and clicked (machine traffic excluded), unsubscribes, and their rates.
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
        )
        for r in kpi_email.per_step(session, low, high)
    ]
