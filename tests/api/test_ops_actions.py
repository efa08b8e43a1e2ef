"""What ops do in the Temporal CLI never forks a lead from its record.

`temporal workflow reset` leaves the lead healthy and sends nothing twice; `terminate` and
`cancel` halt it: the API says so, its events are parked (never a fresh run from zero), and
`nurture leads resume` brings it back with its score. `nurture leads stop` is the supported
way to stop a lead. All on the real dev server, through the real API and the real CLIs.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from nurture.binaries import find_binary
from nurture.mailsink import MailSink
from nurture.models import lead_workflow_id
from nurture.orchestration.reconciler import Reconciler
from nurture.settings import Settings
from tests.utils.api import REP_ONE, lead_when, post_events
from tests.utils.factories import notes, outbox
from tests.utils.processes import cli
from tests.utils.stack import ApiServer
from workflows.lead import LeadWorkflow
from workflows.registry import WORKFLOWS, workflow_runner

HOT = {
    "name": "Mori Ken",
    "company": "Mori Kogyo",
    "scenario": "whitepaper",
    "job_title": "CEO",
    "industry": "Manufacturing",
    "company_size": 500,
}  # 45
COLD = {
    "name": "Abe Yui",
    "company": "Abe Shoji",
    "scenario": "whitepaper",
    "job_title": "Engineer",
    "industry": "Retail",
    "company_size": 20,
}  # 0


def temporal(env: WorkflowEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    """The Temporal CLI as ops type it, against the test's server."""
    address = env.client.service_client.config.target_host
    return subprocess.run(
        [find_binary("temporal"), *args, "--address", address],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def acli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The nurture CLI in a thread: the worker it waits for runs on this event loop."""
    return await asyncio.to_thread(cli, *args, env=env)


def nurture_env(env: WorkflowEnvironment, settings: Settings) -> dict[str, str]:
    return {
        "NURTURE_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "NURTURE_TASK_QUEUE": settings.task_queue,
        "NURTURE_DATABASE_URL": settings.database_url,
    }


async def _new_lead(http: httpx.AsyncClient, api: ApiServer, email: str, **profile: Any) -> str:
    r = await http.post("/v1/leads", json={"email": email, **profile}, headers=api.admin)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _event(http: httpx.AsyncClient, api: ApiServer, lead: str, eid: str, kind: str) -> Any:
    r = await post_events(http, api, [{"event_id": eid, "lead_id": lead, "type": kind}])
    assert r.status_code == 202, r.text
    return r.json()


async def _status(handle: WorkflowHandle[Any, Any]) -> Any:
    return await handle.query(LeadWorkflow.status)


async def _until_running_new_run(handle: WorkflowHandle[Any, Any], old_run: str) -> str:
    for _ in range(200):
        described = await handle.describe()
        if described.run_id != old_run and described.status == WorkflowExecutionStatus.RUNNING:
            return described.run_id
        await asyncio.sleep(0.05)
    raise AssertionError("no new run after the reset")


async def _replays(handle: WorkflowHandle[Any, Any]) -> None:
    """The reset run's own history replays on today's code (a worker restart would)."""
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    await replayer.replay_workflow(await handle.fetch_history())


async def _task_before(handle: WorkflowHandle[Any, Any], kind: EventType.ValueType) -> int:
    """The last completed workflow task before the first event of `kind`: a reset point
    that replays part of the run and re-applies every signal after it."""
    point = 0
    async for e in handle.fetch_history_events():
        if e.event_type == kind:
            return point
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            point = e.event_id
    raise AssertionError(f"no {kind} in the history")


async def _task_failures(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """Failed workflow tasks of the current run, but the one a reset writes as its mark."""
    history = await handle.fetch_history()
    failed = [
        e.workflow_task_failed_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    reset = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
    return [f.failure.message for f in failed if f.cause != reset]


@pytest.mark.parametrize("to", ["before-handoff", "first-task"])
async def test_a_reset_lead_with_an_open_handoff_stays_with_its_rep(
    stack: ApiServer,
    http: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    smtp: MailSink,
    engine: Engine,
    to: str,
) -> None:
    email = "mori@customer.example.com"
    lead = await _new_lead(http, stack, email, **HOT)
    await _event(http, stack, lead, "pricing", "pricing_page_view")  # 60: MQL, handed off
    state = await lead_when(http, stack, lead, lambda s: s["stage"] == "sales_pending")
    assert state["stage"] == "sales_pending", state
    handle = dev_env.client.get_workflow_handle(lead_workflow_id(lead))
    old_run = (await handle.describe()).run_id

    if to == "before-handoff":  # the last workflow task before the handoff began
        started = EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
        where = ["--event-id", str(await _task_before(handle, started))]
    else:  # the very start, the intake update not re-applied (README, "Ops")
        where = ["--type", "FirstWorkflowTask", "--reapply-exclude", "Update"]
    reset = temporal(
        dev_env, "workflow", "reset", "--workflow-id", handle.id, *where, "--reason", "ops: replay"
    )

    assert reset.returncode == 0, reset.stderr
    await _until_running_new_run(handle, old_run)
    for _ in range(200):  # the reset run re-qualifies and takes over the open handoff
        if any("took over handoff-" in n for n in notes(engine, uuid.UUID(lead))):
            break
        await asyncio.sleep(0.05)
    # Its stages written over the handoff's, the reset run wrote the sales stage back.
    assert (await lead_when(http, stack, lead, lambda _: True))["stage"] == "sales_pending"

    acked = await http.post(f"/v1/handoffs/handoff-{lead}-1/ack", headers=REP_ONE)
    assert acked.status_code == 200, acked.text
    assert acked.json()["status"] == "accepted"
    state = await lead_when(http, stack, lead, lambda s: s["stage"] == "sales_accepted")
    status = await _status(handle)

    # The handoff writes the sales stage; the lead's own stays mql while sales has it.
    assert state["stage"] == "sales_accepted"
    assert (status.stage, status.with_sales) == ("mql", True)
    assert state["score"] == status.score == 60
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert await _task_failures(handle) == []
    to_lead = [m for m in smtp.messages if m.to == email]
    to_rep = [m for m in smtp.messages if m.to == "rep.one@sales.example.com"]
    assert len(to_lead) == 1 and len(to_rep) == 1  # nothing sent twice
    assert any("took over handoff-" in n for n in notes(engine, uuid.UUID(lead)))
    await _replays(handle)  # adoption included; tests/histories/v3-reset-adopted.json is one


async def test_a_reset_plain_lead_keeps_api_and_workflow_in_step(
    stack: ApiServer, http: httpx.AsyncClient, dev_env: WorkflowEnvironment, smtp: MailSink
) -> None:
    email = "abe@customer.example.com"
    lead = await _new_lead(http, stack, email, **COLD)
    for n in range(3):
        await _event(http, stack, lead, f"view-{n}", "page_view")
    await _event(http, stack, lead, "case", "case_study_download")  # 3 + 10 = 13
    await lead_when(http, stack, lead, lambda s: s["score"] == 13)
    handle = dev_env.client.get_workflow_handle(lead_workflow_id(lead))
    old_run = (await handle.describe()).run_id

    point = await _task_before(handle, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    reset = temporal(
        dev_env,
        "workflow",
        "reset",
        "--workflow-id",
        handle.id,
        "--event-id",
        str(point),
        "--reason",
        "ops: retry",
    )
    assert reset.returncode == 0, reset.stderr
    await _until_running_new_run(handle, old_run)
    await _event(http, stack, lead, "pricing", "pricing_page_view")  # +15 = 28
    state = await lead_when(http, stack, lead, lambda s: s["score"] == 28)
    status = await _status(handle)

    assert state["score"] == status.score == 28, (state["score"], status.score)
    await _replays(handle)
    assert len([m for m in smtp.messages if m.to == email]) == 1  # the thanks mail, once


@pytest.mark.parametrize("action", ["terminate", "cancel"])
async def test_a_lead_closed_in_temporal_is_halted_not_reborn_and_resumes_from_its_record(
    stack: ApiServer,
    http: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    smtp: MailSink,
    settings: Settings,
    engine: Engine,
    action: str,
) -> None:
    email = f"{action}@customer.example.com"
    lead = await _new_lead(http, stack, email, **COLD)
    await _event(http, stack, lead, "case", "case_study_download")
    await _event(http, stack, lead, "view", "page_view")  # 11
    await lead_when(http, stack, lead, lambda s: s["score"] == 11)
    handle = dev_env.client.get_workflow_handle(lead_workflow_id(lead))
    closed = temporal(
        dev_env,
        "workflow",
        action,
        "--workflow-id",
        handle.id,
        *(["--reason", "ops test"] if action == "terminate" else []),
    )
    assert closed.returncode == 0, closed.stderr

    # The worker's reconciler notices before any event arrives.
    for _ in range(100):
        await Reconciler(dev_env.client, settings, engine).once()
        state = (await http.get(f"/v1/leads/{lead}", headers=stack.admin)).json()
        if state["halted"]:
            break
        await asyncio.sleep(0.1)
    how = {"terminate": "terminated", "cancel": "canceled"}[action]
    assert state["halted"] == how, state
    assert any(e["kind"] == "halted" for e in state["timeline"])

    accepted = await _event(http, stack, lead, "pricing", "pricing_page_view")
    assert accepted["parked"] == ["pricing"]  # kept, not applied, and no fresh run
    described = await handle.describe()
    assert described.status != WorkflowExecutionStatus.RUNNING
    state = (await http.get(f"/v1/leads/{lead}", headers=stack.admin)).json()
    assert state["score"] == 11 and state["parked_events"] == 1

    resumed = await acli("leads", "resume", lead, env=nurture_env(dev_env, settings))
    assert resumed.returncode == 0, resumed.stderr
    assert "score 11; 1 parked event(s) applied" in resumed.stdout
    state = await lead_when(http, stack, lead, lambda s: s["score"] == 26)
    status = await _status(handle)
    assert state["score"] == status.score == 26  # 11 from the record + 15 parked, once
    assert state["halted"] is None and state["parked_events"] == 0
    again = await _event(http, stack, lead, "case", "case_study_download")  # seen before
    assert again["parked"] == []
    await asyncio.sleep(0.5)
    assert (await _status(handle)).score == 26  # the de-duplication window was carried
    assert [m.status for m in outbox(engine, uuid.UUID(lead))] == ["sent"]  # no second thanks
    again_twice = await acli("leads", "resume", lead, env=nurture_env(dev_env, settings))
    assert again_twice.returncode == 2 and "is running" in again_twice.stderr


async def test_ops_stop_a_lead_with_nurture_leads_stop(
    stack: ApiServer,
    http: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    smtp: MailSink,
    settings: Settings,
) -> None:
    env = nurture_env(dev_env, settings)
    quiet = await _new_lead(http, stack, "quiet@customer.example.com", **COLD)
    await _event(http, stack, quiet, "view", "page_view")
    await lead_when(http, stack, quiet, lambda s: s["score"] == 1)
    stopped = await acli("leads", "stop", quiet, "--reason", "asked us to stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    state = (await http.get(f"/v1/leads/{quiet}", headers=stack.admin)).json()
    assert state["stage"] == "disqualified" and state["halted"] == "stopped"
    assert any("stopped by ops: asked us to stop" in e["text"] for e in state["timeline"])
    assert (await _event(http, stack, quiet, "later", "page_view"))["parked"] == ["later"]

    hot = await _new_lead(http, stack, "busy@customer.example.com", **HOT)
    await _event(http, stack, hot, "pricing", "pricing_page_view")
    await lead_when(http, stack, hot, lambda s: s["stage"] == "sales_pending")
    refused = await acli("leads", "stop", hot, "--reason", "no", env=env)
    assert refused.returncode == 2 and "with sales" in refused.stderr
    assert "Traceback" not in refused.stderr
    bad = await acli("leads", "stop", "not-a-lead", "--reason", "x", env=env)
    assert bad.returncode == 2 and "is not a lead id" in bad.stderr

    resumed = await acli("leads", "resume", quiet, env=env)
    assert resumed.returncode == 0, resumed.stderr
    state = await lead_when(http, stack, quiet, lambda s: s["score"] == 2)
    assert state["stage"] == "nurturing" and state["halted"] is None  # as before the stop
