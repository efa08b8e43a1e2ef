"""Ops in the Temporal CLI (reset, cancel, terminate) and nurture's own stop/resume, then
events for those leads: a reset lead stays healthy, a halted one parks its events."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from nurture.binaries import find_binary
from nurture.models import lead_workflow_id
from tests.chaos.figures import RPC_TIMEOUT, workflow_status
from tests.chaos.run import Run
from tests.chaos.traffic import WARM, lead_body, page_views

ACTIVITY_SCHEDULED = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
RUNNING = WorkflowExecutionStatus.RUNNING
ROLES = ("reset-last", "reset-first", "handoff", "cancel", "terminate", "stop")


async def _cli(run: Run, argv: list[str]) -> tuple[bool, str]:
    """Run an ops command against this stack; (succeeded, first line of its complaint)."""
    done = await asyncio.to_thread(
        subprocess.run, argv, env=run.stack.env(), capture_output=True, text=True, timeout=60
    )
    # The last line says why (a traceback's exception, typer's boxed "No such command").
    lines = [ln.strip(" │╭╮╰╯─") for ln in (done.stderr or done.stdout).splitlines()]
    complaint = [ln for ln in lines if ln]
    return done.returncode == 0, complaint[-1][:160] if complaint else ""


async def temporal(run: Run, *args: str) -> bool:
    address = f"127.0.0.1:{run.stack.temporal_port}"
    argv = [find_binary("temporal"), "workflow", *args, "--address", address]
    ok, complaint = await _cli(run, argv)
    return run.ledger.check(ok, f"temporal workflow {args[0]}: {complaint}")


async def nurture(run: Run, *args: str) -> bool:
    ok, complaint = await _cli(run, [sys.executable, "-m", "nurture", *args])
    return run.ledger.check(ok, f"nurture {' '.join(args[:2])}: {complaint}")


async def _describe(run: Run, lead_id: str) -> tuple[WorkflowExecutionStatus | None, str]:
    handle = run.stack.client.get_workflow_handle(lead_workflow_id(lead_id))
    try:
        desc = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError:
        return None, ""
    return desc.status, desc.run_id


async def _reset_point(run: Run, lead_id: str, before: EventType.ValueType) -> str:
    """The event ID of the WorkflowTaskCompleted that led to the first `before` event (the
    first mail's activity, the handoff child): a reset there makes the new run redo it."""
    handle = run.stack.client.get_workflow_handle(lead_workflow_id(lead_id))
    completed = 0
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            completed = event.event_id
        elif event.event_type == before:
            break
    return str(completed)


async def _events(run: Run, lead_id: str, count: int, tag: str) -> dict[str, Any]:
    events = page_views(lead_id, count, tag)
    reply = await run.api.post_events(events)
    run.ledger.sent(events)
    return reply


async def ops(run: Run) -> None:
    """One lead per action: reset to the last task, reset to before the first mail, reset
    of a lead with an open handoff (then the rep's ack), cancel, terminate, `nurture leads
    stop`; events after each; `nurture leads resume` of the terminated and stopped ones."""
    await run.start()
    run.step("one lead per ops action, each with its first mail and events")
    lead = {
        role: run.ledger.lead(
            await run.api.create_lead(lead_body("ops", n, WARM if role == "handoff" else None)),
            45 if role == "handoff" else 0,
        )
        for n, role in enumerate(ROLES)
    }
    for role, lead_id in lead.items():
        if role not in ("handoff", "reset-first"):
            await _events(run, lead_id, 3, "ops-before")
    for k in range(7):  # one event per workflow task: a long history, the reset run's shorter
        await _events(run, lead["reset-first"], 1, f"ops-before-{k}")
        await asyncio.sleep(0.3)
    hot: list[dict[str, object]] = [
        {"event_id": "ops-hot", "lead_id": lead["handoff"], "type": "pricing_page_view"}
    ]
    await run.api.post_events(hot)
    run.ledger.sent(hot)
    await run.settle(60)
    await _stage(run, lead["handoff"], "sales_pending", "before the reset")

    run.step("temporal workflow reset: LastWorkflowTask, and back to before the first mail")
    await _reset(run, lead["reset-last"], "--type", "LastWorkflowTask")
    mail = await _reset_point(run, lead["reset-first"], ACTIVITY_SCHEDULED)
    await _reset(run, lead["reset-first"], "--event-id", mail)
    run.step("temporal workflow reset of a lead with an open handoff: last task, first task")
    await _reset(run, lead["handoff"], "--type", "LastWorkflowTask")
    await _handoff_survives(run, lead["handoff"], acknowledge=False)
    await _reset(run, lead["handoff"], "--type", "FirstWorkflowTask")
    await asyncio.sleep(2.0)
    for role in ("reset-last", "reset-first"):
        await _events(run, lead[role], 2, "ops-after")  # reset-first: 7 + 2 (page view cap 10)
    await run.settle(60)
    await _handoff_survives(run, lead["handoff"], acknowledge=True)

    run.step("temporal workflow cancel and terminate; nurture leads stop")
    await temporal(run, "cancel", "-w", lead_workflow_id(lead["cancel"]))
    await temporal(
        run, "terminate", "-w", lead_workflow_id(lead["terminate"]), "--reason", "chaos: terminate"
    )
    stopped = await nurture(run, "leads", "stop", lead["stop"], "--reason", "chaos: stop")
    await asyncio.sleep(1.0)
    reborn = 0
    for role, halted in (("cancel", "canceled"), ("terminate", "terminated"), ("stop", "stopped")):
        if role == "stop" and not stopped:
            continue
        reborn += await _parks(run, lead[role], halted, keep_halted=role == "cancel")
    run.ledger.extras["reborn"] = reborn

    run.step("nurture leads resume: terminated and stopped leads")
    for role in ("terminate", "stop"):
        await nurture(run, "leads", "resume", lead[role])
    await run.settle(90)
    for role, lead_id in lead.items():
        if role != "cancel" and (await _describe(run, lead_id))[0] == RUNNING:
            await _agrees(run, role, lead_id)  # a closed one is an orphan already


async def _agrees(run: Run, role: str, lead_id: str) -> None:
    """The API's score is the workflow's and what the lead's events add up to."""
    api, wf = await run.api.lead(lead_id), await workflow_status(run.stack.client, lead_id)
    seen = ((api or {}).get("score"), wf.score if wf else None)
    want = run.ledger.expected_score(lead_id)
    run.ledger.check(
        seen == (want, want), f"{role} lead: score (API, workflow) {seen}, want {want}"
    )


async def _stage(run: Run, lead_id: str, want: str, when: str) -> None:
    """The API's stage is `want`, and the workflow knows the lead is with sales (the
    handoff writes the sales stage, not the lead)."""
    api, wf = await run.api.lead(lead_id), await workflow_status(run.stack.client, lead_id)
    seen = (api or {}).get("stage"), wf.with_sales if wf else None
    run.ledger.check(
        seen == (want, True), f"handoff lead {when}: (API stage, workflow with sales) {seen}"
    )


async def _reset(run: Run, lead_id: str, *point: str) -> None:
    await temporal(run, "reset", "-w", lead_workflow_id(lead_id), *point, "--reason", "chaos")
    await asyncio.sleep(1.0)


async def _handoff_survives(run: Run, lead_id: str, acknowledge: bool) -> None:
    """After a reset the lead still runs, still with sales, and the rep's ack works."""
    status, _ = await _describe(run, lead_id)
    running = run.ledger.check(
        status == WorkflowExecutionStatus.RUNNING,
        f"lead with a handoff is {status.name if status else 'gone'} after the reset",
    )
    if running:
        await _stage(run, lead_id, "sales_pending", "after the reset")
    if not acknowledge:
        return
    reply = await run.api.post(f"/v1/handoffs/handoff-{lead_id}-1/ack", {})
    json_reply = "json" in reply.headers.get("content-type", "")
    run.ledger.check(
        reply.status_code == 200 and json_reply,
        f"ack after the reset answered {reply.status_code} "
        f"({'JSON' if json_reply else 'not JSON'})",
    )
    if running:
        await run.settle(60)
        await _stage(run, lead_id, "sales_accepted", "after the ack")


async def _parks(run: Run, lead_id: str, halted: str, keep_halted: bool) -> int:
    """Events for a halted lead are parked: 202 listing them, no new run, the API says so.
    Returns 1 if the events started a fresh run instead (the lead was reborn)."""
    before = await _describe(run, lead_id)
    events = page_views(lead_id, 2, f"ops-halted-{halted}")
    reply = await run.api.post_events(events)
    run.ledger.sent(events)
    if keep_halted:  # stays halted: its events must never be applied
        run.ledger.halted.add(lead_id)
        run.ledger.parked.update(e["event_id"] for e in events)
    parked = {p if isinstance(p, str) else p.get("event_id") for p in reply.get("parked", [])}
    run.ledger.check(
        parked >= {e["event_id"] for e in events}, f"events for a {halted} lead were not parked"
    )
    await asyncio.sleep(1.0)
    after = await _describe(run, lead_id)
    state = await run.api.lead(lead_id) or {}
    run.ledger.check(
        state.get("halted") == halted and state.get("parked_events") == len(events),
        f"API shows a {halted} lead as halted={state.get('halted')!r} "
        f"parked_events={state.get('parked_events')!r}",
    )
    return int(after[1] != before[1] and after[0] == WorkflowExecutionStatus.RUNNING)
