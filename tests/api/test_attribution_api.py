"""Multi-touch attribution through HTTP: touches recorded by the real intake and webhooks,
the deal closed by a rep, and the figures the API then answers, per model; its CSV."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import httpx

from tests.utils.api import REP_ONE, lead_when
from tests.utils.stack import ApiServer

LEAD = {
    "email": "journey@customer.example.com",
    "name": "Journey",
    "company": "Journey KK",
    "job_title": "CEO",
    "industry": "SaaS",
    "company_size": 200,
    "source": "wp",
    "scenario": "whitepaper",
}


async def _event(http: httpx.AsyncClient, api: ApiServer, lead_id: str, **fields: Any) -> None:
    body = json.dumps({"lead_id": lead_id, **fields}).encode()
    r = await http.post("/v1/events", content=body, headers=api.signed(body))
    assert r.status_code == 202, r.text


async def _journey(http: httpx.AsyncClient, api: ApiServer) -> None:
    """wp at intake, then a webinar registration naming expo, then an ad click whose UTM
    names ads; the pricing page view qualifies the lead; a rep wins 900,000."""
    await http.put(
        "/v1/campaigns/wp",
        headers=api.admin,
        json={"name": "Whitepaper", "channel": "whitepaper", "cost": "100000"},
    )
    lead_id = (await http.post("/v1/leads", json=LEAD, headers=api.admin)).json()["id"]
    await _event(
        http,
        api,
        lead_id,
        event_id="reg",
        type="webinar_registered",
        occurred_at="2026-11-03T10:00:00+09:00",
        properties={"campaign": "expo"},
    )
    await _event(
        http,
        api,
        lead_id,
        event_id="ad",
        type="page_view",
        occurred_at="2026-11-04T10:00:00+09:00",
        properties={"url": "https://www.example.com/?utm_source=google&utm_campaign=ads"},
    )
    await _event(http, api, lead_id, event_id="price", type="pricing_page_view")
    await lead_when(http, api, lead_id, lambda s: s["stage"] == "sales_pending")
    handoff = f"handoff-{lead_id}-1"
    assert (await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)).is_success
    won = await http.post(f"/v1/handoffs/{handoff}/won", json={"amount": 900000}, headers=REP_ONE)
    assert won.is_success, won.text
    await lead_when(http, api, lead_id, lambda s: s["stage"] == "won")


def _won(report: dict[str, Any]) -> dict[str, Decimal]:
    return {c["key"]: Decimal(c["won_revenue"]) for c in report["campaigns"]}


async def test_attribution_per_model_through_the_api(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    await _journey(http, stack)

    async def get(**params: str) -> dict[str, Any]:
        r = await http.get("/v1/kpi/attribution", params=params, headers=stack.admin)
        assert r.status_code == 200, r.text
        return dict(r.json())

    # The intake's touch (wp) is the lead's creation, later than the events' pinned times:
    # in time order the touches are expo, ads, wp.
    assert _won(await get(model="first")) == {"ads": 0, "expo": 900000, "wp": 0}
    assert _won(await get(model="last")) == {"ads": 0, "expo": 0, "wp": 900000}
    assert _won(await get(model="linear")) == {"ads": 300000, "expo": 300000, "wp": 300000}
    position = await get()  # the default
    assert position["model"] == "position"
    assert _won(position) == {"ads": 180000, "expo": 360000, "wp": 360000}
    rows = {c["key"]: c for c in position["campaigns"]}
    assert Decimal(rows["wp"]["cost"]) == 100000 and Decimal(rows["wp"]["roi"]) == Decimal("2.6")
    assert rows["expo"]["cost"] is None and rows["expo"]["roi"] is None  # no cost recorded
    assert [rows[k]["touched_leads"] for k in ("ads", "expo", "wp")] == [1, 1, 1]
    assert Decimal(rows["ads"]["mqls"]) == Decimal("0.2")
    total = position["total"]
    assert Decimal(total["won_revenue"]) == 900000 and total["touched_leads"] == 1
    assert Decimal(total["mqls"]) == 1 and Decimal(total["opportunities"]) == 1
    later = await get(**{"from": "2030-01-01"})
    assert Decimal(later["total"]["won_revenue"]) == 0 and later["start"] == "2030-01-01"

    for model in ("first", "linear"):
        r = await http.get("/v1/kpi/attribution.csv", params={"model": model}, headers=stack.admin)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        as_json = (await get(model=model))["campaigns"]
        cells = [{k: "" if v is None else str(v) for k, v in c.items()} for c in as_json]
        assert list(csv.DictReader(io.StringIO(r.text))) == cells


async def test_attribution_refusals(stack: ApiServer, http: httpx.AsyncClient) -> None:
    assert (await http.get("/v1/kpi/attribution")).status_code == 401
    assert (await http.get("/v1/kpi/attribution.csv")).status_code == 401
    for path in ("/v1/kpi/attribution", "/v1/kpi/attribution.csv"):
        r = await http.get(path, params={"model": "foo"}, headers=stack.admin)
        assert r.status_code == 422, r.text
        message = r.json()["error"]["message"]
        assert all(m in message for m in ("'first'", "'last'", "'linear'", "'position'")), message
    r = await http.get(
        "/v1/kpi/attribution",
        params={"from": "2026-11-30", "to": "2026-11-01"},
        headers=stack.admin,
    )
    assert r.status_code == 422 and "`to` is before `from`" in r.json()["error"]["message"]
