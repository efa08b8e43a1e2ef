"""A lead's journey across campaigns, through the real intake, webhooks and sales API:
the known answers of the attribution tests."""

from __future__ import annotations

import json
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


async def multi_touch_journey(http: httpx.AsyncClient, api: ApiServer) -> None:
    """wp at intake (now), a webinar registration naming expo and a visit from an ad whose UTM
    names ads (both pinned to early November: before the intake, so the touches in time
    order are expo, ads, wp); the pricing page view qualifies the lead; a rep wins 900,000.
    Only wp has a recorded cost (100,000)."""
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
