"""Through real HTTP on the real dev server: intake, signed events, score, MQL, rep mail."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink
from nurture.models import lead_workflow_id
from tests.utils.api import lead_when, post_events
from tests.utils.stack import ApiServer

EMAIL = "Hanako.Yamada@Customer.example.com"
LEAD: dict[str, Any] = {
    "email": EMAIL,
    "name": "Yamada Hanako",
    "company": "Acme KK",
    "job_title": "CEO",
    "industry": "Manufacturing",
    "company_size": 500,
    "source": "wp-2026-q4",
    "scenario": "whitepaper",
    "timezone": "Asia/Tokyo",
}


async def test_lead_lifecycle_over_http(
    stack: ApiServer,
    http: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    engine: Engine,
    smtp: MailSink,
) -> None:
    created = await http.post("/v1/leads", json=LEAD, headers=stack.admin)
    assert created.status_code == 201, created.text
    lead = created.json()
    assert lead["score"] == 45 and lead["stage"] == "nurturing"
    lead_id = lead["id"]

    # The same person again, differently cased: the same lead and workflow run, never a second.
    handle = dev_env.client.get_workflow_handle(lead_workflow_id(lead_id))
    first_run = (await handle.describe()).run_id
    again = await http.post("/v1/leads", json={**LEAD, "email": EMAIL.lower()}, headers=stack.admin)
    assert again.status_code == 200 and again.json()["id"] == lead_id
    description = await handle.describe()
    assert description.run_id == first_run
    assert description.status is not None and description.status.name == "RUNNING"

    thanks = await smtp.received(1)
    assert thanks[0].to == EMAIL.lower()
    assert "Yamada Hanako" in thanks[0].text()

    # One event delivered twice (a retrying sender) counts once.
    view = {"event_id": "evt-1", "lead_id": lead_id, "type": "page_view"}
    for _ in range(2):
        response = await post_events(http, stack, view)
        assert response.status_code == 202, response.text
    state = await lead_when(http, stack, lead_id, lambda s: s["score"] >= 46)
    assert state["score"] == 46
    await asyncio.sleep(0.5)
    state = await lead_when(http, stack, lead_id, lambda s: True)
    assert state["score"] == 46
    assert [e["data"]["event_id"] for e in state["timeline"] if e["kind"] == "event"] == ["evt-1"]

    # A batch by email: the pricing page view crosses 60, the lead goes to sales.
    batch = [
        {"event_id": "evt-2", "email": EMAIL, "type": "email_open"},
        {
            "event_id": "evt-3",
            "email": EMAIL,
            "type": "pricing_page_view",
            "occurred_at": "2026-11-24T10:00:00+09:00",
            "properties": {"url": "/pricing"},
        },
    ]
    response = await post_events(http, stack, batch)
    assert response.status_code == 202 and response.json()["accepted"] == 2
    state = await lead_when(http, stack, lead_id, lambda s: s["stage"] == "sales_pending")
    assert state["stage"] == "sales_pending"
    assert state["score"] == 61
    assert state["rep"] == "Rep One"
    assert {i["rule"]: i["points"] for i in state["score_breakdown"]} == {
        "decision_maker": 20,
        "top_industry": 15,
        "sweet_spot_size": 10,
        "pricing_page_view": 15,
        "page_view": 1,
    }
    kinds = [e["kind"] for e in state["timeline"]]
    assert {"event", "score", "email", "stage", "sales"} <= set(kinds)
    assigned = next(e for e in state["timeline"] if e["kind"] == "sales")
    assert assigned["data"]["event"] == "assigned" and assigned["data"]["rep"] == "Rep One"
    assert "round-robin" in assigned["text"]
    stage_texts = [e["data"]["to"] for e in state["timeline"] if e["kind"] == "stage"]
    assert stage_texts == ["nurturing", "mql", "sales_pending"]

    mails = await smtp.received(2)
    notice = next(m for m in mails if m.to == "rep.one@sales.example.com")
    assert "score 61" in notice.subject
    text = notice.text()
    assert "Yamada Hanako" in text and "hanako.yamada@customer.example.com" in text
    assert "+15  Pricing page view" in text and "+20  Job title: decision maker" in text
    assert notice.message["Message-ID"]

    # The mail gives the rep a one-click link per action (tests/api/test_rep_links.py
    # follows them) and, for scripts, the handoff's API URL.
    handoff_url = f"http://nurture.test/v1/handoffs/handoff-{lead_id}-1"
    lead_url = f"http://nurture.test/v1/leads/{lead_id}"
    assert text.count("http://nurture.test/r/") == 6 and handoff_url in text
    html = notice.html()
    assert html.count('href="http://nurture.test/r/') == 6 and "curl" not in html
    rep_one = {"Authorization": "Bearer dev-rep-1"}
    opened = await http.get(lead_url.removeprefix("http://nurture.test"), headers=rep_one)
    assert opened.status_code == 200 and opened.json()["id"] == lead_id
    opened = await http.get(handoff_url.removeprefix("http://nurture.test"), headers=rep_one)
    assert opened.status_code == 200 and opened.json()["status"] == "pending"

    listed = await http.get("/v1/leads", params={"stage": "sales_pending"}, headers=stack.admin)
    assert [item["id"] for item in listed.json()["items"]] == [lead_id]
    listed = await http.get("/v1/leads", params={"stage": "nurturing"}, headers=stack.admin)
    assert listed.json() == {"total": 0, "items": []}  # filters: tests/api/test_api_lead_filters.py
