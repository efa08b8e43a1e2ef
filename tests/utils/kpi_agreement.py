"""The KPIs' view of sales: leads handed off, accepted, with an opportunity, won, as each
report tells it through the API. Every view must tell the same numbers for the same filter;
a new KPI that counts sales outcomes is one more entry of VIEWS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import httpx

from tests.utils.stack import ApiServer


class SalesFigures(NamedTuple):
    handed_off: int
    accepted: int
    opportunities: int
    won: int


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
    return SalesFigures(
        *(sum(r[k] for r in rows) for k in ("handed_off", "accepted", "opportunities", "won"))
    )


async def sla(http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]) -> SalesFigures:
    report = await _get(http, api, "/v1/kpi/sla", params)
    leads = report["leads"]
    assert report["overall"]["handoffs"] >= leads["handed_off"]  # a lead may be handed twice
    return SalesFigures(**leads)


async def scoring_review(
    http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]
) -> SalesFigures:
    """The review's own counts, and that every rule's rows add up to them: with and without
    a rule the leads are all the handed-off ones, and their wins all the wins."""
    report = await _get(http, api, "/v1/kpi/scoring", params)
    leads = SalesFigures(**report["leads"])
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
}


async def figures_by_view(
    http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]
) -> dict[str, SalesFigures]:
    return {name: await view(http, api, params) for name, view in VIEWS.items()}
