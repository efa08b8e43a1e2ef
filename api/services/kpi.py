"""The KPI reports for managers: the repositories' rows through the rules, as the API's
bodies. Each report is one unit of work; the dashboard reads them all in one.

A period is days of the business calendar's time zone (`scenarios/sla.py`, the zone the
SLA clock runs in), from the start of `start` to the end of `end`, and optionally the
leads' campaign; each report says which date it filters on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from api.database import Database
from api.errors import Invalid
from api.schemas.kpi import (
    CampaignKpi,
    FunnelOut,
    FunnelReport,
    ScoringReport,
    SlaReport,
    StageCount,
    StepEmailKpi,
    TrendReport,
)
from nurture.repo import kpi, kpi_email, kpi_sales, kpi_trends
from nurture.rules.business_time import day_span
from nurture.rules.funnel_kpi import FUNNEL, Funnel
from nurture.rules.scoring_kpi import scoring_review
from nurture.rules.sla_kpi import SlaKpi, sla_kpi
from nurture.rules.trends import Granularity, trends
from scenarios.scoring import MODEL
from scenarios.sla import SLA

ZONE = SLA.calendar.zone  # the business days the filters and trend buckets mean


@dataclass(frozen=True)
class Period:
    start: date | None = None
    end: date | None = None
    campaign: str | None = None

    @classmethod
    def of(cls, start: date | None, end: date | None, campaign: str | None) -> Period:
        """The filters as given; 422 when `to` is before `from`."""
        if start and end and end < start:
            raise Invalid("`to` is before `from`")
        return cls(start, end, campaign)

    @property
    def low(self) -> datetime | None:
        """The start of the first day, in the business time zone."""
        return day_span(self.start, self.end, ZONE)[0]

    @property
    def high(self) -> datetime | None:
        """The end of the last day; the last day there is (9999-12-31) has no end: no bound."""
        return day_span(self.start, self.end, ZONE)[1]


def window_of(priority: str) -> timedelta:
    """The acknowledgement window of a handoff's priority (the lowest for one no longer
    in the SLA)."""
    match = next((p for p in SLA.priorities if p.name == priority), None)
    return match.acknowledge_within if match else SLA.priority_for(0).acknowledge_within


def _funnel(f: Funnel) -> FunnelOut:
    return FunnelOut(
        stages=[
            StageCount(
                stage=s, count=f.counts[s], rate_from_previous=f.rate(s), rate_from_new=f.of_new(s)
            )
            for s in FUNNEL
        ]
    )


def funnel(session: Session, period: Period) -> FunnelReport:
    total, per = kpi.funnel(session, period.low, period.high, period.campaign)
    return FunnelReport(
        start=period.start,
        end=period.end,
        campaign=period.campaign,
        overall=_funnel(total),
        by_campaign={k: _funnel(v) for k, v in per.items()},
    )


def campaigns(session: Session, period: Period) -> list[CampaignKpi]:
    return [
        CampaignKpi.model_validate(r, from_attributes=True)
        for r in kpi.campaigns(session, period.low, period.high, period.campaign)
    ]


def _sla_kpi(session: Session, period: Period, now: datetime) -> SlaKpi:
    history = kpi_sales.sla_history(session, period.low, period.high, period.campaign)
    return sla_kpi(history, SLA.calendar, window_of, now)


def sla(session: Session, period: Period) -> SlaReport:
    now = datetime.now(UTC)
    figures = _sla_kpi(session, period, now)
    return SlaReport(
        start=period.start,
        end=period.end,
        campaign=period.campaign,
        as_of=now,
        leads=kpi_sales.sales_of_handoffs(session, period.low, period.high, period.campaign),
        overall=figures.overall,
        by_rep=figures.by_rep,
        reject_reasons=figures.reject_reasons,
    )


def scoring(session: Session, period: Period) -> ScoringReport:
    history = kpi_sales.scoring_history(session, period.low, period.high, period.campaign)
    reasons = _sla_kpi(session, period, datetime.now(UTC)).reject_reasons
    return ScoringReport(
        start=period.start,
        end=period.end,
        campaign=period.campaign,
        leads=history.sales,
        rules=scoring_review(history, MODEL.rule_keys, MODEL.label),
        reject_reasons=reasons,
    )


def email(session: Session, period: Period) -> list[StepEmailKpi]:
    return [
        StepEmailKpi(
            scenario=r.scenario,
            step=r.step,
            label=f"{r.scenario} / {r.step}",
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
        for r in kpi_email.per_step(session, period.low, period.high, period.campaign)
    ]


def trend(session: Session, period: Period, granularity: Granularity) -> TrendReport:
    leads = kpi_trends.milestones(session, period.high, period.campaign)
    overall, per = trends(leads, granularity, ZONE, period.start, period.end)
    return TrendReport(
        period=granularity,
        zone=ZONE.key,
        start=period.start,
        end=period.end,
        campaign=period.campaign,
        overall=overall,
        by_campaign=per,
    )


async def trend_report(db: Database, period: Period, granularity: Granularity) -> TrendReport:
    return await db.run(trend, period, granularity)


async def funnel_report(db: Database, period: Period) -> FunnelReport:
    """Leads created in the period (a cohort) and how far they got, overall and per campaign."""
    return await db.run(funnel, period)


async def campaign_report(db: Database, period: Period) -> list[CampaignKpi]:
    return await db.run(campaigns, period)


async def sla_report(db: Database, period: Period) -> SlaReport:
    return await db.run(sla, period)


async def scoring_report(db: Database, period: Period) -> ScoringReport:
    return await db.run(scoring, period)


async def email_report(db: Database, period: Period) -> list[StepEmailKpi]:
    return await db.run(email, period)
