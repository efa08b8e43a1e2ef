"""Sales endpoints over HTTP: a rep's own handoffs, tokens, 401/403/409, the admin override."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from nurture.db import session_scope
from nurture.repo import reps
from tests.api.test_end_to_end import lead_when
from tests.conftest import ApiServer

REP_ONE = {"Authorization": "Bearer dev-rep-1"}
REP_TWO = {"Authorization": "Bearer dev-rep-2"}


async def _handed_off(http: httpx.AsyncClient, api: ApiServer, email: str) -> str:
    lead = {"email": email, "name": "Kato Mei", "company": "Kato Seiki", "scenario": "whitepaper",
            "job_title": "CTO", "industry": "Manufacturing", "company_size": 300}  # fmt: skip
    r = await http.post("/v1/leads", json=lead, headers=api.admin)
    lead_id = r.json()["id"]
    body = json.dumps({"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}).encode()
    await http.post("/v1/events", content=body, headers=api.signed(body))
    state = await lead_when(http, api, lead_id, lambda s: s["stage"] == "sales_pending")
    assert state["stage"] == "sales_pending", state
    return f"handoff-{lead_id}-1"


def _error(r: httpx.Response) -> str:
    return str(r.json()["error"]["message"])


@pytest.fixture
async def handoff(stack: ApiServer, http: httpx.AsyncClient) -> str:
    return await _handed_off(http, stack, "kato@customer.example.com")


async def test_a_rep_lists_their_own_handoffs_with_the_time_left(
    stack: ApiServer, http: httpx.AsyncClient, handoff: str
) -> None:
    mine = (await http.get("/v1/handoffs", headers=REP_ONE)).json()
    assert [h["id"] for h in mine["items"]] == [handoff]
    item: dict[str, Any] = mine["items"][0]
    assert item["status"] == "pending" and item["priority"] == "normal" and item["rep"] == "Rep One"
    assert item["lead_name"] == "Kato Mei" and item["score"] == 60
    assert 0 < item["business_time_left_seconds"] <= 9 * 3600  # one business day
    assert item["time_left_seconds"] >= item["business_time_left_seconds"]
    assert item["overdue"] is False
    assert (await http.get("/v1/handoffs", headers=REP_TWO)).json()["items"] == []
    everyone = (await http.get("/v1/handoffs", headers=stack.admin)).json()
    assert [h["id"] for h in everyone["items"]] == [handoff]


async def test_tokens_are_required_and_checked(
    stack: ApiServer, http: httpx.AsyncClient, handoff: str, engine: Engine
) -> None:
    assert (await http.get("/v1/handoffs")).status_code == 401
    r = await http.post(f"/v1/handoffs/{handoff}/ack", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and "unknown or disabled rep token" in _error(r)
    r = await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_TWO)
    assert r.status_code == 403 and "not assigned to you" in _error(r)
    assert (await http.get(f"/v1/handoffs/{handoff}", headers=REP_TWO)).status_code == 403
    assert (await http.post("/v1/handoffs/handoff-x/ack", headers=REP_ONE)).status_code == 404
    with session_scope(engine) as session:
        reps.find_rep(session, "rep.one@sales.example.com").active = False
    r = await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)
    assert r.status_code == 401  # a disabled rep's token stops working


async def test_actions_must_come_in_order(
    stack: ApiServer, http: httpx.AsyncClient, handoff: str
) -> None:
    url = f"/v1/handoffs/{handoff}"
    r = await http.post(f"{url}/won", json={"amount": 500000}, headers=REP_ONE)
    assert r.status_code == 409 and "must be accepted or opportunity" in _error(r)
    r = await http.post(f"{url}/ack", headers=REP_ONE)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert r.json()["acknowledged_at"] is not None
    r = await http.post(f"{url}/ack", headers=REP_ONE)
    assert r.status_code == 409 and "already accepted" in _error(r)
    r = await http.post(f"{url}/reject", json={"reason": "meh"}, headers=REP_ONE)
    assert r.status_code == 422 and "not_a_fit" in _error(r)
    r = await http.post(f"{url}/won", json={}, headers=REP_ONE)
    assert r.status_code == 422 and "amount is required" in _error(r)
    r = await http.post(
        f"{url}/lost", json={"reason": "competitor", "note": "X won"}, headers=REP_ONE
    )
    assert r.status_code == 200 and r.json()["status"] == "lost"
    assert r.json()["outcome_reason"] == "competitor"
    r = await http.post(f"{url}/opportunity", headers=REP_ONE)
    assert r.status_code == 409 and "closed" in _error(r)
    lead_id = handoff.removeprefix("handoff-").rsplit("-", 1)[0]
    state = await lead_when(http, stack, lead_id, lambda s: s["stage"] == "lost")
    assert state["stage"] == "lost"


async def test_the_admin_token_may_act_on_any_handoff(
    stack: ApiServer, http: httpx.AsyncClient, handoff: str
) -> None:
    r = await http.post(f"/v1/handoffs/{handoff}/ack", headers=stack.admin)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    r = await http.post(
        f"/v1/handoffs/{handoff}/opportunity", json={"amount": "1500000.50"}, headers=stack.admin
    )
    assert r.status_code == 200 and r.json()["amount"] == "1500000.50"
