"""Multi-touch attribution as the API, the dashboard and its CSV show it: the repository's
journeys through the attribution rules, as the report's body.

The range selects outcomes: MQLs, opportunities and revenue won in it, each credited to
the touches before it whenever they were; touched leads are the touches in it. The campaign
filter, as in the other KPIs, keeps the leads that came from the campaign (their source):
how the credit for their outcomes spreads over every campaign that touched them. Cost is a
campaign's whole recorded cost (not prorated to the range, as in the campaign KPI).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from api.database import Database
from api.schemas.attribution import AttributedCampaign, AttributionReport, AttributionTotal
from api.services.kpi import Period
from nurture.repo import kpi_attribution
from nurture.rules import attribution_figures as figures
from nurture.rules.attribution import AttributionModel, attribute


def attribution(session: Session, period: Period, model: AttributionModel) -> AttributionReport:
    """The per-campaign credit under `model` for the outcomes of the period."""
    journeys = kpi_attribution.journeys(session, period.low, period.high, period.campaign)
    touched, everyone = kpi_attribution.touched_leads(
        session, period.low, period.high, period.campaign
    )
    credits = attribute(journeys, model, period.low, period.high)
    known = kpi_attribution.campaigns(session)
    if period.campaign is not None:
        # A campaign's cost was spent on all its leads, not on the few of one source: with
        # a filter the rows are the campaigns that reached those leads, without cost or ROI.
        active = set(touched) | set(credits)
        known = {k: replace(c, cost=None) for k, c in known.items() if k in active}
    table = figures.rows(credits, touched, known)
    total = figures.total(table, everyone)
    return AttributionReport(
        model=model,
        start=period.start,
        end=period.end,
        campaigns=[AttributedCampaign.model_validate(r, from_attributes=True) for r in table],
        total=AttributionTotal.model_validate(total, from_attributes=True),
    )


async def report(db: Database, period: Period, model: AttributionModel) -> AttributionReport:
    return await db.run(attribution, period, model)


def csv_rows(report: AttributionReport) -> list[dict[str, Any]]:
    """The campaigns' rows as the CSV holds them: the JSON's fields and numbers, as text."""
    return [
        {k: str(v) if isinstance(v, Decimal | date) else v for k, v in c.model_dump().items()}
        for c in report.campaigns
    ]
