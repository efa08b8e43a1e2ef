"""What the managers' dashboard shows and what each CSV export holds: the KPI reports of
api.services.kpi, read in one unit of work, flattened for a page or a table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from api.database import Database
from api.errors import NotFound
from api.schemas.accounts import AccountPage
from api.schemas.kpi import (
    CampaignKpi,
    FunnelReport,
    ScoringReport,
    SlaReport,
    StepEmailKpi,
    TrendReport,
)
from api.services import accounts as account_views
from api.services import kpi as reports
from api.services.backtest_panel import BacktestPanel
from api.services.backtest_panel import panel as backtest_panel
from api.services.kpi import Period
from nurture.repo import emails, kpi
from nurture.repo.emails import MailHealth
from nurture.rules.trends import Granularity


@dataclass(frozen=True)
class Dashboard:
    funnel: FunnelReport
    campaigns: list[CampaignKpi]
    email: list[StepEmailKpi]
    sla: SlaReport
    scoring: ScoringReport
    campaigns_named: list[tuple[str, str]]  # (key, name) of the campaign filter
    mail: MailHealth
    trends: TrendReport
    backtest: BacktestPanel | None = None  # the newest saved `nurture scoring backtest`
    accounts: tuple[AccountPage, int, int] | None = None  # the top, ready, with sales


async def dashboard(
    db: Database, period: Period, granularity: Granularity = Granularity.WEEK
) -> Dashboard:
    return await db.run(_dashboard, period, granularity)


def _dashboard(session: Session, period: Period, granularity: Granularity) -> Dashboard:
    return Dashboard(
        trends=reports.trend(session, period, granularity),
        funnel=reports.funnel(session, period),
        campaigns=reports.campaigns(session, period),
        email=reports.email(session, period),
        sla=reports.sla(session, period),
        scoring=reports.scoring(session, period),
        campaigns_named=kpi.campaign_choices(session),
        mail=emails.health(session),
        backtest=backtest_panel(session),
        accounts=account_views.top(session),
    )


async def campaign_choices(db: Database) -> list[tuple[str, str]]:
    """The campaign filter's choices, for a page that shows no panel (a filter to fix)."""
    return await db.run(kpi.campaign_choices)


CSV_NAMES = ("funnel", "campaigns", "email", "sla", "scoring", "reject_reasons", "trends")


async def table(
    db: Database,
    name: str,
    start: date | None,
    end: date | None,
    campaign: str | None,
    granularity: Granularity = Granularity.WEEK,
) -> list[dict[str, Any]]:
    """The rows of one KPI as a flat table, filtered as its JSON twin (404 for a name that
    is no KPI, before the filters are judged).

    Nested JSON is flattened: the funnel's overall stages are campaign `(all)`, the SLA's
    overall figures rep `(all)`; reject reasons (in the SLA and scoring JSON) are their own
    table; the trends' overall buckets are campaign `(all)`.
    """
    if name not in CSV_NAMES:
        raise NotFound(f"no KPI {name!r}; KPIs: {', '.join(CSV_NAMES)}")
    return await db.run(_table, name, Period.of(start, end, campaign or None), granularity)


def _table(
    session: Session, name: str, period: Period, granularity: Granularity
) -> list[dict[str, Any]]:
    if name == "trends":
        trends = reports.trend(session, period, granularity)
        lines = {"(all)": trends.overall, **trends.by_campaign}
        return [{"campaign": key, **_plain(p)} for key, t in lines.items() for p in t.points]
    if name == "funnel":
        report = reports.funnel(session, period)
        parts = {"(all)": report.overall, **report.by_campaign}
        return [{"campaign": key, **_plain(s)} for key, f in parts.items() for s in f.stages]
    if name == "campaigns":
        return [_plain(c) for c in reports.campaigns(session, period)]
    if name == "email":
        return [_plain(m) for m in reports.email(session, period)]
    if name == "sla":
        sla = reports.sla(session, period)
        return [
            {"rep": rep, **_plain(s)} for rep, s in {"(all)": sla.overall, **sla.by_rep}.items()
        ]
    if name == "scoring":
        return [_plain(r) for r in reports.scoring(session, period).rules]
    reasons = reports.sla(session, period).reject_reasons
    return [{"reason": reason, "count": n} for reason, n in reasons.items()]


def _plain(model: BaseModel) -> dict[str, Any]:
    return {
        k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in model.model_dump().items()
    }
