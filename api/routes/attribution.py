"""Multi-touch attribution (admin token): which campaign earned how much of the MQLs,
pipeline and revenue, under the model asked for; and the same table as CSV.

Its own router, included before the dashboard's `/v1/kpi/{name}.csv`, so that
`/v1/kpi/attribution.csv` is this table (with its `model`), not a KPI name.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.auth import AdminDep, BrowserAdmin
from api.csv_export import CSV, csv_response
from api.deps import DbDep
from api.responses import errors
from api.schemas.attribution import AttributionReport, ModelQuery, OutcomeFrom, OutcomeTo
from api.schemas.kpi import CampaignKey
from api.services import attribution as service
from api.services.kpi import Period
from nurture.rules.attribution import AttributionModel

router = APIRouter(prefix="/v1/kpi", tags=["kpi"])


@router.get("/attribution", response_model=AttributionReport, responses=errors(401, 422))
async def attribution(
    db: DbDep,
    _: AdminDep,
    model: ModelQuery = AttributionModel.POSITION,
    start: OutcomeFrom = None,
    end: OutcomeTo = None,
    campaign: CampaignKey = None,
) -> AttributionReport:
    """Per campaign, under the attribution model: distinct leads it touched in the range,
    and its share of the MQLs, opportunities (count and pipeline) and revenue won in the
    range, with its cost and ROI; plus the totals (the rows add up to them exactly).

    A touch is a campaign reaching a lead: its source at intake, an event naming a
    campaign (properties, UTM, a Segment call's `context.campaign`, a mail click's
    `utm_campaign`). Each outcome credits the lead's touches at or before it; a deal's
    opportunity and revenue credit the touches up to the opportunity (the touch that created
    it is the last). Outcomes no campaign touched are credited to key "" `(no campaign)`.
    `campaign` keeps the leads that came from that campaign (their source), as in the
    other KPIs: the rows then say which campaigns earned their outcomes.
    """
    return await service.report(db, Period.of(start, end, campaign), model)


@router.get(
    "/attribution.csv",
    response_class=Response,
    responses={
        200: {"description": "the table as CSV", "content": {"text/csv": {"schema": CSV}}},
        **errors(422, e401="the admin token: bearer, or HTTP Basic"),
    },
)
async def attribution_csv(
    db: DbDep,
    _: BrowserAdmin,
    model: ModelQuery = AttributionModel.POSITION,
    start: OutcomeFrom = None,
    end: OutcomeTo = None,
    campaign: CampaignKey = None,
) -> Response:
    """The campaigns of /v1/kpi/attribution as CSV: the same rows and numbers."""
    report = await service.report(db, Period.of(start, end, campaign), model)
    return csv_response(service.csv_rows(report), f"attribution-{model.value}")
