"""Campaigns and KPIs through HTTP: the endpoints managers and the dashboard call."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx

from tests.utils.api import REP_ONE, REP_TWO, lead_when
from tests.utils.browser import assert_csv_is_json
from tests.utils.stack import ApiServer

REP_TOKENS = {
    "Rep One": REP_ONE,
    "Rep Two": REP_TWO,
    "Rep Three": {"Authorization": "Bearer dev-rep-3"},
}


async def test_campaign_put_validates_and_upserts(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    body = {"name": "DX Expo 2026", "channel": "expo", "cost": "250000", "starts_on": "2026-11-01"}
    r = await http.put("/v1/campaigns/expo-2026", json=body, headers=stack.admin)
    assert r.status_code == 201 and r.json()["key"] == "expo-2026"
    r = await http.put(
        "/v1/campaigns/expo-2026", json={**body, "cost": "300000"}, headers=stack.admin
    )
    assert r.status_code == 200
    listed = (await http.get("/v1/campaigns", headers=stack.admin)).json()
    assert [(c["key"], Decimal(c["cost"])) for c in listed] == [("expo-2026", Decimal(300000))]
    assert (await http.put("/v1/campaigns/x", json=body)).status_code == 401
    r = await http.put(
        "/v1/campaigns/x", json={**body, "channel": "telepathy"}, headers=stack.admin
    )
    assert r.status_code == 422 and "channel" in r.json()["error"]["message"]
    r = await http.put("/v1/campaigns/x", json={**body, "cost": "-1"}, headers=stack.admin)
    assert r.status_code == 422
    r = await http.put(
        "/v1/campaigns/x", json={**body, "ends_on": "2026-10-01"}, headers=stack.admin
    )
    assert r.status_code == 422 and "ends_on is before starts_on" in r.json()["error"]["message"]
    r = await http.put("/v1/campaigns/bad key!", json=body, headers=stack.admin)
    assert r.status_code == 422


async def test_a_campaign_carries_its_asset_and_named_links(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    asset = {"title": "DX Live", "url": "https://www.example.com/webinars/dx-live"}
    links = {"recording": "https://video.example.com/dx-live"}
    body = {"name": "DX Live", "channel": "webinar", "cost": 0, "asset": asset, "links": links}
    assert (await http.put("/v1/campaigns/dx-live", json=body, headers=stack.admin)).is_success
    listed = (await http.get("/v1/campaigns", headers=stack.admin)).json()
    assert [(c["asset"], c["links"]) for c in listed] == [(asset, links)]
    bare = {k: v for k, v in body.items() if k not in ("asset", "links")}
    assert (await http.put("/v1/campaigns/dx-live", json=bare, headers=stack.admin)).is_success
    listed = (await http.get("/v1/campaigns", headers=stack.admin)).json()
    assert [(c["asset"], c["links"]) for c in listed] == [(None, {})]  # replaced, whole

    async def refused(change: dict[str, object]) -> str:
        r = await http.put("/v1/campaigns/x", json={**body, **change}, headers=stack.admin)
        assert r.status_code == 422, r.text
        return str(r.json()["error"]["message"])

    for url in ("www.example.com/guide", "javascript:alert(1)", "ftp://example.com/x"):
        message = await refused({"asset": {**asset, "url": url}})
        assert "asset.url" in message and "absolute http(s) URL" in message
    message = await refused({"links": {"slides": "/slides.pdf"}})
    assert "links.slides" in message and "absolute http(s) URL" in message
    assert "links" in await refused({"links": {"Bad Name": "https://www.example.com/"}})
    assert "asset.title" in await refused({"asset": {"url": asset["url"]}})
    assert (await http.get("/v1/campaigns", headers=stack.admin)).json()[0]["key"] == "dx-live"


async def test_a_won_deal_shows_in_the_funnel_and_the_roi(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    await http.put(
        "/v1/campaigns/wp-2026",
        headers=stack.admin,
        json={"name": "Whitepaper", "channel": "whitepaper", "cost": "100000"},
    )
    lead = {
        "email": "roi@customer.example.com",
        "name": "Ito",
        "company": "Ito KK",
        "job_title": "CEO",
        "industry": "SaaS",
        "company_size": 200,
        "source": "wp-2026",
        "scenario": "whitepaper",
    }
    lead_id = (await http.post("/v1/leads", json=lead, headers=stack.admin)).json()["id"]
    body = json.dumps({"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}).encode()
    await http.post("/v1/events", content=body, headers=stack.signed(body))
    await lead_when(http, stack, lead_id, lambda s: s["stage"] == "sales_pending")
    handoff = f"handoff-{lead_id}-1"
    await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)
    await http.post(f"/v1/handoffs/{handoff}/won", json={"amount": 500000}, headers=REP_ONE)
    await lead_when(http, stack, lead_id, lambda s: s["stage"] == "won")

    funnel = (await http.get("/v1/kpi/funnel", headers=stack.admin)).json()
    counts = {s["stage"]: s["count"] for s in funnel["overall"]["stages"]}
    assert counts == dict.fromkeys(
        ["new", "nurturing", "mql", "sales_pending", "sales_accepted", "opportunity", "won"], 1
    )
    assert list(funnel["by_campaign"]) == ["wp-2026"]
    rows = {r["key"]: r for r in (await http.get("/v1/kpi/campaigns", headers=stack.admin)).json()}
    wp = rows["wp-2026"]
    assert (wp["leads"], wp["mqls"], wp["won"]) == (1, 1, 1)
    assert Decimal(wp["cpl"]) == 100000 and Decimal(wp["revenue"]) == 500000
    assert Decimal(wp["roi"]) == Decimal("4.0000")
    bad = await http.get(
        "/v1/kpi/funnel", params={"from": "2026-12-01", "to": "2026-11-01"}, headers=stack.admin
    )
    assert bad.status_code == 422


async def test_sla_and_scoring_reports_after_a_rejected_lead(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    lead = {
        "email": "rej@customer.example.com",
        "name": "Abe",
        "company": "Abe KK",
        "job_title": "CTO",
        "industry": "SaaS",
        "company_size": 200,
        "scenario": "whitepaper",
    }
    lead_id = (await http.post("/v1/leads", json=lead, headers=stack.admin)).json()["id"]
    body = json.dumps({"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}).encode()
    await http.post("/v1/events", content=body, headers=stack.signed(body))
    await lead_when(http, stack, lead_id, lambda s: s["stage"] == "sales_pending")
    handoff = f"handoff-{lead_id}-1"
    await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)
    r = await http.post(
        f"/v1/handoffs/{handoff}/reject",
        json={"reason": "no_budget", "note": "next year"},
        headers=REP_ONE,
    )
    assert r.status_code == 200
    await lead_when(http, stack, lead_id, lambda s: s["stage"] == "recycled")

    # A second lead, of campaign ads, rejected straight away: a timely answer, not an ack.
    other = {**lead, "email": "rej2@customer.example.com", "source": "ads"}
    other_id = (await http.post("/v1/leads", json=other, headers=stack.admin)).json()["id"]
    body = json.dumps({"event_id": "p2", "lead_id": other_id, "type": "pricing_page_view"}).encode()
    await http.post("/v1/events", content=body, headers=stack.signed(body))
    await lead_when(http, stack, other_id, lambda s: s["stage"] == "sales_pending")
    second = f"handoff-{other_id}-1"
    holder = (await http.get(f"/v1/handoffs/{second}", headers=stack.admin)).json()["rep"]
    r = await http.post(
        f"/v1/handoffs/{second}/reject", json={"reason": "not_a_fit"}, headers=REP_TOKENS[holder]
    )
    assert r.status_code == 200, r.text
    await lead_when(http, stack, other_id, lambda s: s["stage"] == "recycled")

    figures = (
        "handoffs",
        "acknowledged",
        "rejected_without_ack",
        "within_sla",
        "missed_sla",
        "open_within_sla",
        "reassignments",
    )
    sla = (await http.get("/v1/kpi/sla", headers=stack.admin)).json()
    assert [sla["overall"][k] for k in figures] == [2, 1, 1, 2, 0, 0, 0]
    assert sla["overall"]["within_sla_rate"] == 1.0
    assert [sla["by_rep"]["Rep One"][k] for k in figures] == [1, 1, 0, 1, 0, 0, 0]
    assert [sla["by_rep"][holder][k] for k in figures] == [1, 0, 1, 1, 0, 0, 0]
    assert sla["reject_reasons"] == {"no_budget": 1, "not_a_fit": 1}
    ads = (await http.get("/v1/kpi/sla", params={"campaign": "ads"}, headers=stack.admin)).json()
    assert [ads["overall"][k] for k in figures] == [1, 0, 1, 1, 0, 0, 0]
    assert list(ads["by_rep"]) == [holder] and ads["reject_reasons"] == {"not_a_fit": 1}
    assert ads["campaign"] == "ads" and ads["as_of"]
    scoring = (await http.get("/v1/kpi/scoring", headers=stack.admin)).json()
    pricing = next(r for r in scoring["rules"] if r["rule"] == "pricing_page_view")
    assert pricing["label"] == "Pricing page view" and pricing["leads_with"] == 2
    assert pricing["win_rate_with"] == 0.0
    assert scoring["reject_reasons"] == {"no_budget": 1, "not_a_fit": 1}
    scoring = (
        await http.get("/v1/kpi/scoring", params={"campaign": "ads"}, headers=stack.admin)
    ).json()
    pricing = next(r for r in scoring["rules"] if r["rule"] == "pricing_page_view")
    assert pricing["leads_with"] == 1 and scoring["reject_reasons"] == {"not_a_fit": 1}
    later = {"from": "2999-01-01"}
    scoring = (await http.get("/v1/kpi/scoring", params=later, headers=stack.admin)).json()
    assert {r["leads_with"] + r["leads_without"] for r in scoring["rules"]} == {0}
    reasons = (await http.get("/v1/kpi/reject_reasons.csv", headers=stack.admin)).text
    assert reasons.splitlines() == ["reason,count", "no_budget,1", "not_a_fit,1"]
    for params in ({}, {"campaign": "ads"}):
        await assert_csv_is_json(http, stack, params)
    assert (await http.get("/v1/kpi/sla")).status_code == 401


async def test_a_campaign_without_a_cost_shows_no_cpl_or_roi(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    """Unknown cost (PUT without one, or no campaign recorded at all) is not free: no cost,
    CPL, cost per MQL or ROI; a cost of 0 is a free campaign."""
    for key, cost in (("seo", None), ("referral", "0")):
        body = {"name": key.upper(), "channel": key, **({"cost": cost} if cost else {})}
        r = await http.put(f"/v1/campaigns/{key}", json=body, headers=stack.admin)
        assert r.status_code == 201, r.text
    listed = {
        c["key"]: c["cost"] for c in (await http.get("/v1/campaigns", headers=stack.admin)).json()
    }
    assert listed == {"referral": "0.00", "seo": None}
    for n, source in enumerate(("seo", "referral", "partner-fair")):
        lead = {
            "email": f"cost{n}@customer.example.com",
            "source": source,
            "scenario": "whitepaper",
        }
        assert (await http.post("/v1/leads", json=lead, headers=stack.admin)).status_code in (
            201,
            202,
        )
    rows = {r["key"]: r for r in (await http.get("/v1/kpi/campaigns", headers=stack.admin)).json()}
    for key in ("seo", "partner-fair"):
        row = rows[key]
        assert (row["leads"], row["cost"], row["cpl"], row["cost_per_mql"], row["roi"]) == (
            1,
            None,
            None,
            None,
            None,
        )
    free = rows["referral"]
    assert (free["cost"], free["cpl"], free["roi"]) == ("0.00", "0.00", None)
    page = await http.get("/dashboard", auth=("manager", "dev-admin-token"))
    for key in ("seo", "partner-fair"):
        assert f'<option value="{key}"' in page.text  # a key seen only on a lead is filterable
        row = page.text.split(f'data-campaign="{key}"')[1].split("</tr>")[0]
        assert '<td class="cost">–</td>' in row and '<td class="cpl">–</td>' in row
        assert '<td class="roi-text">–</td>' in row
    row = page.text.split('data-campaign="referral"')[1].split("</tr>")[0]
    assert '<td class="cost">0</td>' in row and '<td class="cpl">0</td>' in row
    await assert_csv_is_json(http, stack, {})
