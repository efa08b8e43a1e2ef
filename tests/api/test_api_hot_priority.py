"""A lead at 80 points or more is hot: two business hours to acknowledge, shown to its rep."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx
from sqlalchemy.engine import Engine

from nurture.mailsink import MailSink
from nurture.rules.rep_words import local_time
from scenarios.sla import SLA
from tests.utils.api import REP_ONE, lead_when
from tests.utils.stack import ApiServer

TWO_HOURS = timedelta(hours=2)
LEAD = {
    "email": "ishii@customer.example.com",
    "name": "Ishii Jun",
    "company": "Ishii Denki",
    "scenario": "whitepaper",
    "job_title": "CEO",
    "industry": "Manufacturing",
    "company_size": 500,
}  # 45 attribute points


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_hot_lead_gets_two_business_hours(
    stack: ApiServer, http: httpx.AsyncClient, engine: Engine, smtp: MailSink
) -> None:
    assert (
        SLA.priority_for(85).name == "hot" and SLA.priority_for(85).acknowledge_within == TWO_HOURS
    )
    lead_id = (await http.post("/v1/leads", json=LEAD, headers=stack.admin)).json()["id"]
    event = {"event_id": "meet", "lead_id": lead_id, "type": "meeting_booked"}  # +40: 85
    body = json.dumps(event).encode()
    assert (await http.post("/v1/events", content=body, headers=stack.signed(body))).is_success
    state = await lead_when(http, stack, lead_id, lambda s: s["stage"] == "sales_pending")
    assert state["stage"] == "sales_pending" and state["score"] == 85, state

    page = (await http.get("/v1/handoffs", headers=REP_ONE)).json()
    [handoff] = page["items"]
    assert handoff["lead_id"] == lead_id and handoff["score"] == 85
    assert handoff["priority"] == "hot" and handoff["status"] == "pending"
    # The deadline is two working hours on the SLA calendar (Asia/Tokyo, 9-18, no holidays)
    # after the rep was assigned (the handoff's start), whatever the hour the test runs at.
    assigned, deadline = _at(handoff["created_at"]), _at(handoff["deadline_at"])
    assert deadline == SLA.calendar.add(assigned, TWO_HOURS)
    assert SLA.calendar.between(assigned, deadline) == TWO_HOURS
    assert 0 < handoff["business_time_left_seconds"] <= 2 * 3600
    assert handoff["time_left_seconds"] >= handoff["business_time_left_seconds"]
    assert handoff["overdue"] is False

    mails = await smtp.received(2)
    notice = next(m for m in mails if m.to == "rep.one@sales.example.com")
    assert "It is a hot lead: please acknowledge it within 2 business hours" in notice.text()
    assert f"by {local_time(deadline, SLA.calendar.zone, 'en')}." in notice.text()  # JST
