"""The managers' dashboard (server-rendered SVG, works offline) and CSV exports of each KPI.

Browsers authenticate with HTTP Basic (any user name, the admin token as password), so a
manager opens /dashboard and the browser asks; scripts may send the bearer token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from api.auth import BrowserAdmin
from api.csv_export import CSV, csv_response
from api.database import Database
from api.deps import DbDep
from api.responses import errors
from api.schemas.attribution import ModelQuery
from api.schemas.kpi import Bucket, CampaignKey, From, To
from api.services import attribution_panel, dashboard_words
from api.services import dashboard as service
from api.services.backtest_panel import COMMAND as BACKTEST_COMMAND
from api.services.kpi import ZONE, Period
from api.services.trend_charts import charts
from nurture.rules.attribution import AttributionModel
from nurture.rules.trends import Granularity

router = APIRouter(tags=["dashboard"])
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=True,
)
_templates.filters["pct"] = lambda v: "–" if v is None else f"{v * 100:.1f}%"
_templates.filters.update(attribution_panel.FILTERS)
_templates.filters["lift"] = dashboard_words.lift
LABELS = {
    "new": "New leads",
    "nurturing": "Nurturing",
    "mql": "MQL",
    "sales_pending": "Handed off",
    "sales_accepted": "Accepted",
    "opportunity": "Opportunity",
    "won": "Won",
}


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    responses=errors(
        e401="sign in: HTTP Basic with the admin token as the password",
        e422="a parameter is invalid; a browser (`Accept: text/html`) asking for a reversed date "
        "range (`to` before `from`) gets the page instead: the filter form and what to correct",
    ),
)
async def dashboard(
    request: Request,
    db: DbDep,
    _: BrowserAdmin,
    start: From = None,
    end: To = None,
    campaign: CampaignKey = None,
    model: ModelQuery = AttributionModel.POSITION,
    granularity: Bucket = Granularity.WEEK,
) -> HTMLResponse:
    """Funnel, campaign ROI (with revenue by attribution `model`), trends (by week or month),
    email rates, SLA compliance and the scoring review, each filtered by date and campaign
    (the page says which date each panel means). A browser asking for a reversed date range
    gets a 422 page with the filter form to correct it; a script, the JSON envelope."""
    form = {
        "start": start,
        "end": end,
        "campaign": campaign or None,
        "model": model.value,
        "granularity": granularity.value,
    }
    if start and end and end < start and "text/html" in request.headers.get("accept", ""):
        return await _filters_to_fix(db, form, dashboard_words.REVERSED_RANGE)
    period = Period.of(start, end, campaign or None)
    data = await service.dashboard(db, period, granularity)
    attribution = await attribution_panel.panel(db, start, end, period.campaign, model, granularity)
    funnel = [
        {"stage": s.stage, "label": LABELS[s.stage], "count": s.count, "rate": s.rate_from_previous}
        for s in data.funnel.overall.stages
    ]
    campaigns = [
        {
            **c.model_dump(),
            "roi_value": float(c.roi or 0),
            "roi_text": "–" if c.roi is None else f"{c.roi * 100:.0f}%",
        }
        for c in data.campaigns
    ]
    filters = {"from": start, "to": end, "campaign": period.campaign}
    query = urlencode({k: v for k, v in filters.items() if v})
    html = _templates.get_template("dashboard.html.j2").render(
        **form,
        query=query,
        funnel=funnel,
        campaigns=campaigns,
        campaign_choices=data.campaigns_named,
        email=data.email,
        sla=data.sla,
        scoring=data.scoring,
        backtest=data.backtest,
        accounts=data.accounts,
        backtest_command=BACKTEST_COMMAND,
        mail=data.mail,
        attribution=attribution,
        zone=ZONE.key,
        trends=charts(data.trends, {c.key: c.name for c in data.campaigns}),
        trend_query=urlencode({k: v for k, v in {**filters, "period": granularity}.items() if v}),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


async def _filters_to_fix(db: Database, form: dict[str, Any], error: str) -> HTMLResponse:
    """The page with the filter form as the manager filled it in and what to correct: a
    browser shows it (a JSON error page would leave them stuck)."""
    choices = await service.campaign_choices(db)
    html = _templates.get_template("dashboard.html.j2").render(
        **form, campaign_choices=choices, error=error, zone=ZONE.key
    )
    return HTMLResponse(html, status_code=422, headers={"Cache-Control": "no-store"})


@router.get(
    "/v1/kpi/{name}.csv",
    response_class=Response,
    responses={
        200: {"description": "the table as CSV", "content": {"text/csv": {"schema": CSV}}},
        **errors(422, e401="the admin token: bearer, or HTTP Basic", e404="no KPI of this name"),
    },
)
async def kpi_csv(
    name: Annotated[str, PathParam(json_schema_extra={"enum": list(service.CSV_NAMES)})],
    db: DbDep,
    _: BrowserAdmin,
    start: From = None,
    end: To = None,
    campaign: CampaignKey = None,
    granularity: Bucket = Granularity.WEEK,
) -> Response:
    """Each KPI table as CSV: the rows and numbers of its JSON twin, with the same filters.

    Nested JSON is flattened: the funnel's overall stages are campaign `(all)`, the SLA's
    overall figures rep `(all)`; reject reasons (in the SLA and scoring JSON) are their own
    table; the trends' overall buckets are campaign `(all)` (`period` applies to trends only).
    """
    return csv_response(await service.table(db, name, start, end, campaign, granularity), name)
