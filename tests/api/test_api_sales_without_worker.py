"""A sales action while no worker runs: a prompt 503, and the action is truly not recorded.

The server holds an update for a workflow whose worker is away and delivers it when one
returns; the API must not leave such an update behind after telling the rep it failed.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from nurture.models import HandoffStatus
from nurture.settings import Settings
from tests.utils.api import REP_ONE, lead_when
from tests.utils.stack import ApiServer, running_worker, serve_api
from workflows.handoff import SalesHandoffWorkflow

WAIT = 1.0
LEAD = {
    "email": "mori@customer.example.com",
    "name": "Mori Ken",
    "company": "Mori Kogyo",
    "scenario": "whitepaper",
    "job_title": "CTO",
    "industry": "Manufacturing",
    "company_size": 300,
}


@pytest.fixture
def quick(settings: Settings) -> Settings:
    settings.intake_wait_seconds = WAIT
    return settings


async def _accepted_updates(handle: WorkflowHandle[SalesHandoffWorkflow, object]) -> int:
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum([e.event_type == accepted async for e in handle.fetch_history_events()])


async def _hand_off(http: httpx.AsyncClient, api: ApiServer) -> tuple[str, str]:
    lead_id = (await http.post("/v1/leads", json=LEAD, headers=api.admin)).json()["id"]
    body = json.dumps({"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}).encode()
    assert (await http.post("/v1/events", content=body, headers=api.signed(body))).is_success
    state = await lead_when(http, api, lead_id, lambda s: s["stage"] == "sales_pending")
    assert state["stage"] == "sales_pending", state
    return lead_id, f"handoff-{lead_id}-1"


async def test_an_action_without_a_worker_is_503_and_not_recorded(
    dev_env: WorkflowEnvironment, quick: Settings, engine: Engine
) -> None:
    async with (
        serve_api(dev_env.client, quick) as api,
        httpx.AsyncClient(base_url=api.base_url, timeout=30) as http,
    ):
        async with running_worker(dev_env.client, quick, engine):
            lead_id, handoff = await _hand_off(http, api)
        # The API runs on; no worker does.
        started = time.monotonic()
        r = await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)
        assert r.status_code == 503, r.text
        assert r.json()["error"] == {
            "code": "unavailable",
            "message": "no worker answered within 1 s; the ack was not recorded: try again "
            "(the same request is safe to repeat)",
        }
        assert time.monotonic() - started < WAIT + 4
        assert (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).json()[
            "status"
        ] == "pending"

        handle = dev_env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff)
        async with running_worker(dev_env.client, quick, engine):
            # A worker is back. An update held by the server would be delivered now.
            state = await handle.query(SalesHandoffWorkflow.state)
            await asyncio.sleep(2)
            state = await handle.query(SalesHandoffWorkflow.state)
            assert state.status == HandoffStatus.PENDING and state.acknowledged_at is None
            assert await _accepted_updates(handle) == 0
            item = (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).json()
            assert item["status"] == "pending" and item["acknowledged_at"] is None

            # Trying again, as the message says, works once, and only once.
            r = await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)
            assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
            assert await _accepted_updates(handle) == 1
            lead = await lead_when(http, api, lead_id, lambda s: s["stage"] == "sales_accepted")
            acks = [
                e for e in lead["timeline"] if e["kind"] == "sales" and e["data"]["event"] == "ack"
            ]
            assert lead["stage"] == "sales_accepted" and len(acks) == 1
