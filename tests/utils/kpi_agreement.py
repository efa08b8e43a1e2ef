"""The KPIs' view of sales: leads handed off, accepted, with an opportunity, won, and the
revenue won, as each report tells it through the API. Every view must tell the same numbers
for the same filter (a figure a view does not count is None, and not compared); a new KPI
that counts sales outcomes is one more entry of VIEWS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, NamedTuple

import httpx

from tests.utils.stack import ApiServer


class SalesFigures(NamedTuple):
    handed_off: int | None
    accepted: int | None
    opportunities: int | None
    won: int | None
    won_revenue: Decimal | None = None


View = Callable[[httpx.AsyncClient, ApiServer, dict[str, str]], Awaitable[SalesFigures]]


async def _get(http: httpx.AsyncClient, api: ApiServer, path: str, params: dict[str, str]) -> Any:
    r = await http.get(path, params=params, headers=api.admin)
    assert r.status_code == 200, r.text
    return r.json()


async def funnel(http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]) -> SalesFigures:
    report = await _get(http, api, "/v1/kpi/funnel", params)
    n = {s["stage"]: s["count"] for s in report["overall"]["stages"]}
    return SalesFigures(n["sales_pending"], n["sales_accepted"], n["opportunity"], n["won"])


async def campaign_roi(
    http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]
) -> SalesFigures:
    rows = await _get(http, api, "/v1/kpi/campaigns", params)
    n = {k: sum(r[k] for r in rows) for k in ("handed_off", "accepted", "opportunities", "won")}
    return SalesFigures(**n, won_revenue=sum((Decimal(r["revenue"]) for r in rows), Decimal(0)))


async def trends(http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]) -> SalesFigures:
    """The weekly buckets added up: every handoff, opportunity, win and yen once."""
    points = (await _get(http, api, "/v1/kpi/trends", params))["overall"]["points"]
    return SalesFigures(
        handed_off=sum(p["handoffs"] for p in points),
        accepted=None,
        opportunities=sum(p["opportunities"] for p in points),
        won=sum(p["won"] for p in points),
        won_revenue=sum((Decimal(p["won_revenue"]) for p in points), Decimal(0)),
    )


async def attribution(
    http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]
) -> SalesFigures:
    """Every model's totals: the opportunities (deals) and the revenue won (under a campaign
    filter: of the leads that came from it, whichever campaigns earn the credit)."""
    totals = [
        (await _get(http, api, "/v1/kpi/attribution", {**params, "model": m}))["total"]
        for m in ("first", "last", "linear", "position")
    ]
    assert len({(t["opportunities"], t["won_revenue"]) for t in totals}) == 1, totals
    return SalesFigures(
        handed_off=None,
        accepted=None,
        opportunities=int(Decimal(totals[0]["opportunities"])),
        won=None,
        won_revenue=Decimal(totals[0]["won_revenue"]),
    )


async def sla(http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]) -> SalesFigures:
    report = await _get(http, api, "/v1/kpi/sla", params)
    leads = report["leads"]
    assert report["overall"]["handoffs"] >= leads["handed_off"]  # a lead may be handed twice
    return SalesFigures(**leads, won_revenue=None)


async def scoring_review(
    http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]
) -> SalesFigures:
    """The review's own counts, and that every rule's rows add up to them: with and without
    a rule the leads are all the handed-off ones, and their wins all the wins."""
    report = await _get(http, api, "/v1/kpi/scoring", params)
    leads = SalesFigures(**report["leads"], won_revenue=None)
    for rule in report["rules"]:
        assert rule["leads_with"] + rule["leads_without"] == leads.handed_off, rule
        wins = sum(
            round((rule[f"win_rate_{side}"] or 0) * rule[f"leads_{side}"])
            for side in ("with", "without")
        )
        assert wins == leads.won, rule
    return leads


VIEWS: dict[str, View] = {
    "funnel": funnel,
    "campaign ROI": campaign_roi,
    "SLA": sla,
    "scoring review": scoring_review,
    "trends": trends,
    "attribution": attribution,
}


async def figures_by_view(
    http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]
) -> dict[str, SalesFigures]:
    return {name: await view(http, api, params) for name, view in VIEWS.items()}


def disagreements(seen: dict[str, SalesFigures]) -> dict[str, dict[str, object]]:
    """Per figure that two views tell differently: what each view told."""
    out: dict[str, dict[str, object]] = {}
    for field in SalesFigures._fields:
        told = {
            name: getattr(f, field) for name, f in seen.items() if getattr(f, field) is not None
        }
        if len(set(told.values())) > 1:
            out[field] = told
    return out
