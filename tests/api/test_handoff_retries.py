"""A sales action retried is one action: the retry answers what the first try recorded.

A client that got no answer (a 503 while the worker was slow, a dropped connection) repeats
its request; it must not get a 409 for an action that was in fact recorded. Another action,
actor or body out of order is still a 409.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from nurture.settings import Settings
from tests.utils.db_trouble import sqlite_write_locked
from tests.utils.stack import ApiServer
from workflows.handoff import SalesHandoffWorkflow

REP_ONE = {"Authorization": "Bearer dev-rep-1"}
LEAD = {
    "email": "ono@customer.example.com",
    "name": "Ono Aya",
    "company": "Ono Denki",
    "scenario": "whitepaper",
    "job_title": "CTO",
    "industry": "Manufacturing",
    "company_size": 300,
}


async def _handed_off(http: httpx.AsyncClient, api: ApiServer) -> str:
    lead_id = (await http.post("/v1/leads", json=LEAD, headers=api.admin)).json()["id"]
    body = json.dumps({"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}).encode()
    assert (await http.post("/v1/events", content=body, headers=api.signed(body))).is_success
    handoff = f"handoff-{lead_id}-1"
    for _ in range(150):
        if (await http.get(f"/v1/handoffs/{handoff}", headers=api.admin)).status_code == 200:
            return handoff
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handoff} never reached the read model")


async def _sales_events(http: httpx.AsyncClient, api: ApiServer, handoff: str) -> list[str]:
    lead_id = handoff.removeprefix("handoff-").rsplit("-", 1)[0]
    lead: dict[str, Any] = (await http.get(f"/v1/leads/{lead_id}", headers=api.admin)).json()
    return [e["data"].get("event", "") for e in lead["timeline"] if e["kind"] == "sales"]


async def _accepted_updates(dev_env: WorkflowEnvironment, handoff: str) -> int:
    handle = dev_env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff)
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum([e.event_type == accepted async for e in handle.fetch_history_events()])


@pytest.fixture
def quick(settings: Settings) -> Settings:
    settings.intake_wait_seconds = 1.0  # the API waits 1 s for the worker's confirmation
    return settings


async def test_an_ack_the_worker_did_not_confirm_in_time_is_recorded_once_and_retried_safely(
    quick: Settings,
    stack: ApiServer,
    http: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
) -> None:
    handoff = await _handed_off(http, stack)
    # The worker takes the ack but cannot record it while the database is write-locked.
    with sqlite_write_locked(quick):
        r = await http.post(f"/v1/handoffs/{handoff}/ack", json={"note": "on it"}, headers=REP_ONE)
    assert r.status_code == 503, r.text
    message = r.json()["error"]["message"]
    assert "may still be recorded: repeat the same request, which is safe" in message
    for _ in range(40):  # the client retries, as told, until it gets an answer
        r = await http.post(f"/v1/handoffs/{handoff}/ack", json={"note": "on it"}, headers=REP_ONE)
        if r.status_code != 503:
            break
        await asyncio.sleep(0.5)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and r.json()["acknowledged_at"] is not None
    assert await _accepted_updates(dev_env, handoff) == 1
    assert (await _sales_events(http, stack, handoff)).count("ack") == 1


async def test_the_same_action_twice_is_one_action_and_a_different_one_is_409(
    stack: ApiServer, http: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    handoff = await _handed_off(http, stack)
    url = f"/v1/handoffs/{handoff}"
    first = await http.post(f"{url}/ack", headers=REP_ONE)
    assert first.status_code == 200, first.text
    again = await http.post(f"{url}/ack", headers=REP_ONE)
    assert again.status_code == 200 and again.json()["status"] == "accepted"
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    r = await http.post(f"{url}/ack", json={"note": "again"}, headers=REP_ONE)
    assert r.status_code == 409 and "already accepted" in r.json()["error"]["message"]
    r = await http.post(f"{url}/ack", headers=stack.admin)  # another actor
    assert r.status_code == 409
    assert await _accepted_updates(dev_env, handoff) == 1
    assert (await _sales_events(http, stack, handoff)).count("ack") == 1


async def test_a_won_retried_after_the_handoff_ended_answers_what_was_recorded(
    stack: ApiServer, http: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    handoff = await _handed_off(http, stack)
    url = f"/v1/handoffs/{handoff}"
    assert (await http.post(f"{url}/ack", headers=REP_ONE)).status_code == 200
    won = {"amount": 500000, "note": "signed"}
    r = await http.post(f"{url}/won", json=won, headers=REP_ONE)
    assert r.status_code == 200 and r.json()["status"] == "won", r.text
    handle = dev_env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff)
    await handle.result()  # the handoff workflow has ended

    r = await http.post(f"{url}/won", json={**won, "amount": "500000.00"}, headers=REP_ONE)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "won" and r.json()["amount"] == "500000.00"
    for body, headers in [
        ({**won, "amount": 600000}, REP_ONE),  # another amount
        (won, stack.admin),  # another actor
    ]:
        r = await http.post(f"{url}/won", json=body, headers=headers)
        assert r.status_code == 409 and "closed (won)" in r.json()["error"]["message"], r.text
    r = await http.post(f"{url}/lost", json={"reason": "price"}, headers=REP_ONE)
    assert r.status_code == 409
    r = await http.post(f"{url}/ack", headers=REP_ONE)  # the ack that was recorded, repeated
    assert r.status_code == 200 and r.json()["status"] == "won"
    assert (await _sales_events(http, stack, handoff)).count("won") == 1
