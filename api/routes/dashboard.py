"""The managers' dashboard (server-rendered SVG, works offline) and CSV exports of each KPI.

Browsers authenticate with HTTP Basic (any user name, the admin token as password), so a
manager opens /dashboard and the browser asks; scripts may send the bearer token.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hmac
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypedDict
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from api.deps import SessionDep, StateDep, is_admin
from api.errors import NotFound, SignInRequired
from api.responses import errors
from api.routes import kpi as kpi_routes
from nurture.repo import emails, kpi

router = APIRouter(tags=["dashboard"])
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=True,
)
_templates.filters["pct"] = lambda v: "–" if v is None else f"{v * 100:.1f}%"
LABELS = {
    "new": "New leads",
    "nurturing": "Nurturing",
    "mql": "MQL",
    "sales_pending": "Handed off",
    "sales_accepted": "Accepted",
    "opportunity": "Opportunity",
    "won": "Won",
}


def browser_admin(request: Request, state: StateDep) -> None:
    if is_admin(request, state.settings):
        return
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            _, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            password = ""
        token = state.settings.admin_token.get_secret_value()
        if hmac.compare_digest(password.encode(), token.encode()):
            return
    raise SignInRequired("sign in with the admin token as the password")


BrowserAdmin = Annotated[None, Depends(browser_admin)]


class Filters(TypedDict):
    """The filters every KPI takes: creation days (UTC) and the leads' campaign."""

    start: date | None
    end: date | None
    campaign: str | None


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    responses=errors(422, e401="sign in: HTTP Basic with the admin token as the password"),
)
def dashboard(
    session: SessionDep,
    _: BrowserAdmin,
    start: kpi_routes.From = None,
    end: kpi_routes.To = None,
    campaign: kpi_routes.CampaignKey = None,
) -> HTMLResponse:
    """Funnel, campaign ROI, email rates, SLA compliance and the scoring review, each filtered
    by date and campaign (the page says which date each panel means)."""
    campaign = campaign or None
    filters = Filters(start=start, end=end, campaign=campaign)
    report = kpi_routes.funnel(session, None, **filters)
    funnel = [
        {"stage": s.stage, "label": LABELS[s.stage], "count": s.count, "rate": s.rate_from_previous}
        for s in report.overall.stages
    ]
    campaigns = [
        {
            **c.model_dump(),
            "roi_value": float(c.roi or 0),
            "roi_text": "–" if c.roi is None else f"{c.roi * 100:.0f}%",
        }
        for c in kpi_routes.campaigns(session, None, **filters)
    ]
    query = urlencode(
        {k: v for k, v in {"from": start, "to": end, "campaign": campaign}.items() if v}
    )
    html = _templates.get_template("dashboard.html.j2").render(
        start=start,
        end=end,
        campaign=campaign,
        query=query,
        funnel=funnel,
        campaigns=campaigns,
        campaign_keys=[c.key for c in kpi.list_campaigns(session)],
        email=kpi_routes.email(session, None, **filters),
        sla=kpi_routes.sla(session, None, **filters),
        scoring=kpi_routes.scoring(session, None, **filters),
        mail=emails.health(session),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _csv(rows: list[dict[str, Any]], name: str) -> Response:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _plain(model: BaseModel) -> dict[str, Any]:
    return {
        k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in model.model_dump().items()
    }


CSV_NAMES = ("funnel", "campaigns", "email", "sla", "scoring", "reject_reasons")
CSV = {"type": "string", "description": "a header row, then one row per item"}


@router.get(
    "/v1/kpi/{name}.csv",
    response_class=Response,
    responses={
        200: {"description": "the table as CSV", "content": {"text/csv": {"schema": CSV}}},
        **errors(422, e401="the admin token: bearer, or HTTP Basic", e404="no KPI of this name"),
    },
)
def kpi_csv(
    name: Annotated[str, PathParam(json_schema_extra={"enum": list(CSV_NAMES)})],
    session: SessionDep,
    _: BrowserAdmin,
    start: kpi_routes.From = None,
    end: kpi_routes.To = None,
    campaign: kpi_routes.CampaignKey = None,
) -> Response:
    """Each KPI table as CSV: the rows and numbers of its JSON twin, with the same filters.

    Nested JSON is flattened: the funnel's overall stages are campaign `(all)`, the SLA's
    overall figures rep `(all)`; reject reasons (in the SLA and scoring JSON) are their own
    table.
    """
    filters = Filters(start=start, end=end, campaign=campaign or None)
    rows: list[dict[str, Any]]
    if name == "funnel":
        report = kpi_routes.funnel(session, None, **filters)
        parts = {"(all)": report.overall, **report.by_campaign}
        rows = [{"campaign": key, **_plain(s)} for key, f in parts.items() for s in f.stages]
    elif name == "campaigns":
        rows = [_plain(c) for c in kpi_routes.campaigns(session, None, **filters)]
    elif name == "email":
        rows = [_plain(m) for m in kpi_routes.email(session, None, **filters)]
    elif name == "sla":
        report_sla = kpi_routes.sla(session, None, **filters)
        parts_sla = {"(all)": report_sla.overall, **report_sla.by_rep}
        rows = [{"rep": rep, **_plain(s)} for rep, s in parts_sla.items()]
    elif name == "scoring":
        rows = [_plain(r) for r in kpi_routes.scoring(session, None, **filters).rules]
    elif name == "reject_reasons":
        reasons = kpi_routes.sla(session, None, **filters).reject_reasons
        rows = [{"reason": reason, "count": n} for reason, n in reasons.items()]
    else:
        raise NotFound(f"no KPI {name!r}; KPIs: {', '.join(CSV_NAMES)}")
    return _csv(rows, name)
