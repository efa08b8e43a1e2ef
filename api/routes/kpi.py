"""Funnel, campaign, SLA, scoring-review, email and trend KPIs for managers (admin token)."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import AdminDep
from api.deps import DbDep
from api.responses import errors
from api.schemas.kpi import (
    Bucket,
    CampaignKey,
    CampaignKpi,
    From,
    FunnelReport,
    ScoringReport,
    SlaReport,
    StepEmailKpi,
    To,
    TrendReport,
)
from api.services import kpi as service
from api.services.kpi import Period
from nurture.rules.trends import Granularity

router = APIRouter(prefix="/v1/kpi", tags=["kpi"])
KPI_ERRORS = errors(401, 422)


@router.get("/funnel", response_model=FunnelReport, responses=KPI_ERRORS)
async def funnel(
    db: DbDep, _: AdminDep, start: From = None, end: To = None, campaign: CampaignKey = None
) -> FunnelReport:
    """Leads created in the range (a cohort) and how far they got, overall and per campaign."""
    return await service.funnel_report(db, Period.of(start, end, campaign))


@router.get("/campaigns", response_model=list[CampaignKpi], responses=KPI_ERRORS)
async def campaigns(
    db: DbDep, _: AdminDep, start: From = None, end: To = None, campaign: CampaignKey = None
) -> list[CampaignKpi]:
    """Leads, CPL, MQLs, cost per MQL, opportunities, wins, revenue and ROI per campaign."""
    return await service.campaign_report(db, Period.of(start, end, campaign))


@router.get("/sla", response_model=SlaReport, responses=KPI_ERRORS)
async def sla(
    db: DbDep, _: AdminDep, start: From = None, end: To = None, campaign: CampaignKey = None
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
    return await service.sla_report(db, Period.of(start, end, campaign))


@router.get("/scoring", response_model=ScoringReport, responses=KPI_ERRORS)
async def scoring(
    db: DbDep, _: AdminDep, start: From = None, end: To = None, campaign: CampaignKey = None
) -> ScoringReport:
    """Which scoring rules predict deals: rates of leads handed off in the range (of the
    campaign) with and without each rule, and why sales rejected the handoffs of the range.
    The input to the periodic review of the scoring model.
    """
    return await service.scoring_report(db, Period.of(start, end, campaign))


@router.get("/email", response_model=list[StepEmailKpi], responses=KPI_ERRORS)
async def email(
    db: DbDep, _: AdminDep, start: From = None, end: To = None, campaign: CampaignKey = None
) -> list[StepEmailKpi]:
    """Per scenario step, for mail due in the range to leads of the campaign: sent,
    delivered, bounced, people who opened and clicked (machine traffic excluded),
    unsubscribes, and their rates; and the mail not delivered: of unknown fate, held, failed.
    """
    return await service.email_report(db, Period.of(start, end, campaign))


@router.get("/trends", response_model=TrendReport, responses=KPI_ERRORS)
async def trends(
    db: DbDep,
    _: AdminDep,
    start: From = None,
    end: To = None,
    campaign: CampaignKey = None,
    granularity: Bucket = Granularity.WEEK,
) -> TrendReport:
    """Per week (from Monday) or month, in the business time zone: new leads, MQLs,
    handoffs, opportunities, wins and won revenue, each in the bucket it happened in;
    overall and per campaign, and the median days from lead to MQL and from MQL to won.
    Empty buckets between the first and the last are kept."""
    return await service.trend_report(db, Period.of(start, end, campaign), granularity)
