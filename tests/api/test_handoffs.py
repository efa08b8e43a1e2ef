"""Sales endpoints over HTTP: a rep's own handoffs, tokens, 401/403/409, the admin override."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from nurture.db import session_scope
from nurture.repo import reps
from nurture.tables import Handoff, RepAssignment
from tests.utils.api import REP_ONE, REP_TWO, lead_when
from tests.utils.handoffs import handed_off
from tests.utils.stack import ApiServer


def _error(r: httpx.Response) -> str:
    return str(r.json()["error"]["message"])


@pytest.fixture
async def handoff(stack: ApiServer, http: httpx.AsyncClient) -> str:
    handoff, _ = await handed_off(http, stack)
    return handoff


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
    r = await http.post(f"{url}/ack", json={"note": "twice"}, headers=REP_ONE)
    assert r.status_code == 409 and "already accepted" in _error(r)
    r = await http.post(f"{url}/reject", json={"reason": "meh"}, headers=REP_ONE)
    assert r.status_code == 422
    assert _error(r).startswith("reason 'meh' is not one of: not_a_fit, no_budget")
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


@pytest.mark.parametrize(
    ("action", "body", "expected"),
    [
        ("ack", {"amount": 1000}, "amount belongs to opportunity and won, not to ack"),
        (
            "reject",
            {"reason": "no_budget", "amount": 1000},
            "amount belongs to opportunity and won, not to reject",
        ),
        ("lost", {"reason": "price", "amount": 0}, "amount belongs to opportunity and won"),
        ("reject", None, "reason is required for reject; one of: not_a_fit, no_budget"),
        ("reject", {"reason": "bored"}, "reason 'bored' is not one of: not_a_fit"),
        ("lost", {}, "reason is required for lost; one of: price, competitor"),
        ("lost", {"reason": "weather"}, "reason 'weather' is not one of: price, competitor"),
        ("won", None, 'amount is required for a won deal: send {"amount": <revenue>}'),
        ("won", {"amount": 0}, "amount must be greater than 0 for a won deal"),
        ("won", {"amount": -5}, "amount: must be at least 0"),
        ("opportunity", {"amount": "lots"}, "amount: must be a number"),
        ("opportunity", {"amount": 1.234}, "amount: may have at most 2 decimal places"),
    ],
)
async def test_refused_actions_say_why_and_change_nothing(
    stack: ApiServer,
    http: httpx.AsyncClient,
    handoff: str,
    action: str,
    body: dict[str, Any] | None,
    expected: str,
) -> None:
    r = await http.post(f"/v1/handoffs/{handoff}/{action}", json=body, headers=REP_ONE)
    assert r.status_code == 422, r.text
    assert _error(r).startswith(expected), _error(r)
    item = (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).json()
    assert item["status"] == "pending" and item["amount"] is None
    timeline = (await _lead(http, stack, handoff))["timeline"]
    assert [e["data"]["event"] for e in timeline if e["kind"] == "sales"] == ["assigned"]


async def test_a_body_that_is_not_json_is_400(
    stack: ApiServer, http: httpx.AsyncClient, handoff: str
) -> None:
    r = await http.post(
        f"/v1/handoffs/{handoff}/ack",
        content=b"{ack",
        headers={**REP_ONE, "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and _error(r).startswith("the body is not valid JSON")


async def _lead(http: httpx.AsyncClient, api: ApiServer, handoff: str) -> dict[str, Any]:
    lead_id = handoff.removeprefix("handoff-").rsplit("-", 1)[0]
    r = await http.get(f"/v1/leads/{lead_id}", headers=api.admin)
    assert r.status_code == 200
    return dict(r.json())


async def test_a_rep_reads_the_leads_handed_to_them_now_or_before(
    stack: ApiServer, http: httpx.AsyncClient, handoff: str, engine: Engine
) -> None:
    lead_id = handoff.removeprefix("handoff-").rsplit("-", 1)[0]
    url = f"/v1/leads/{lead_id}"
    r = await http.get(url, headers=REP_ONE)
    assert r.status_code == 200 and r.json()["id"] == lead_id and r.json()["rep"] == "Rep One"
    assert r.json()["score_breakdown"] and r.json()["timeline"]
    r = await http.get(url, headers=REP_TWO)
    assert r.status_code == 403 and "never handed to you" in _error(r)
    # The read model after the SLA ladder moved the handoff on to Rep Two (attempt 2).
    with session_scope(engine) as session:
        two = reps.find_rep(session, "rep.two@sales.example.com")
        row = session.get(Handoff, handoff)
        assert row is not None
        row.rep_id, row.reassignments = two.id, 1
        session.add(row)
        at = datetime.now(UTC)
        session.add(RepAssignment(handoff_id=handoff, attempt=2, rep_id=two.id, reason="", at=at))
    assert (await http.get(url, headers=REP_TWO)).status_code == 200  # now theirs
    assert (await http.get(url, headers=REP_ONE)).status_code == 200  # was theirs
    r = await http.get(url, headers={"Authorization": "Bearer dev-rep-3"})
    assert r.status_code == 403
    assert (await http.get(url, headers=stack.admin)).status_code == 200
    r = await http.get("/v1/leads", headers=REP_ONE)  # the list stays the admin's
    assert r.status_code == 401


async def test_the_lead_says_where_sales_stands_the_moment_a_rep_acts(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    """The handoff writes the lead's sales stage with the action: `GET /v1/leads/{id}` has
    it as soon as the ack is answered, and a marketing tool posting the lead again is told
    the same stage, not the workflow's own `mql`."""
    handoff, lead_id = await handed_off(http, stack)
    assert (await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)).status_code == 200
    lead = (await http.get(f"/v1/leads/{lead_id}", headers=stack.admin)).json()
    assert lead["stage"] == "sales_accepted"
    again = {
        "email": "kato@customer.example.com",
        "scenario": "whitepaper",
        "job_title": "CTO",
        "industry": "Manufacturing",
        "company_size": 300,
    }
    r = await http.post("/v1/leads", json=again, headers=stack.admin)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["stage"]) == (False, "sales_accepted")
