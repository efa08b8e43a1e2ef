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
from tests.chaos.figures import RPC_TIMEOUT, workflow_status
from tests.chaos.run import Run
from tests.chaos.traffic import WARM, lead_body, page_views
from workflows.models import lead_workflow_id

ROLES = ("reset-last", "reset-first", "handoff", "cancel", "terminate", "stop")


async def _cli(run: Run, argv: list[str]) -> tuple[bool, str]:
    """Run an ops command against this stack; (succeeded, first line of its complaint)."""
    done = await asyncio.to_thread(
        subprocess.run, argv, env=run.stack.env(), capture_output=True, text=True, timeout=60
    )
    complaint = (done.stderr.strip() or done.stdout.strip()).splitlines()[:1]
    return done.returncode == 0, complaint[0][:160] if complaint else ""


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


async def _first_task_completed(run: Run, lead_id: str) -> int:
    """The event ID of the lead's first WorkflowTaskCompleted: a reset point before its mail."""
    handle = run.stack.client.get_workflow_handle(lead_workflow_id(lead_id))
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            return event.event_id
    return 0


async def _events(run: Run, lead_id: str, count: int, tag: str) -> dict[str, Any]:
    events = page_views(lead_id, count, tag)
    reply = await run.api.post_events(events)
    run.ledger.sent(events)
    return reply


async def ops(run: Run) -> None:
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
        if role != "handoff":
            await _events(run, lead_id, 3, "ops-before")
    hot: list[dict[str, object]] = [
        {"event_id": "ops-hot", "lead_id": lead["handoff"], "type": "pricing_page_view"}
    ]
    await run.api.post_events(hot)
    run.ledger.sent(hot)
    await run.settle(60)
    await _stage(run, lead["handoff"], "sales_pending", "before the reset")

    run.step("temporal workflow reset: LastWorkflowTask, first task, open handoff")
    await temporal(run, "reset", "-w", lead_workflow_id(lead["reset-last"]),
                   "--type", "LastWorkflowTask", "--reason", "chaos: reset")  # fmt: skip
    first = await _first_task_completed(run, lead["reset-first"])
    await temporal(run, "reset", "-w", lead_workflow_id(lead["reset-first"]),
                   "--event-id", str(first), "--reason", "chaos: reset to the start")  # fmt: skip
    await temporal(run, "reset", "-w", lead_workflow_id(lead["handoff"]),
                   "--type", "LastWorkflowTask", "--reason", "chaos: open handoff")  # fmt: skip
    await asyncio.sleep(2.0)
    for role in ("reset-last", "reset-first"):
        await _events(run, lead[role], 2, "ops-after")
    await run.settle(60)
    await _handoff_survives(run, lead["handoff"])

    run.step("temporal workflow cancel and terminate; nurture leads stop")
    await temporal(run, "cancel", "-w", lead_workflow_id(lead["cancel"]))
    await temporal(run, "terminate", "-w", lead_workflow_id(lead["terminate"]),
                   "--reason", "chaos: terminate")  # fmt: skip
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


async def _stage(run: Run, lead_id: str, want: str, when: str) -> None:
    api, wf = await run.api.lead(lead_id), await workflow_status(run.stack.client, lead_id)
    seen = (api or {}).get("stage"), wf.stage.value if wf else None
    run.ledger.check(seen == (want, want), f"handoff lead {when}: stage (API, workflow) {seen}")


async def _handoff_survives(run: Run, lead_id: str) -> None:
    """After the reset the lead still runs, still with sales, and the rep's ack works."""
    status, _ = await _describe(run, lead_id)
    if not run.ledger.check(
        status == WorkflowExecutionStatus.RUNNING,
        f"lead with a handoff is {status.name if status else 'gone'} after the reset",
    ):
        return
    await _stage(run, lead_id, "sales_pending", "after the reset")
    reply = await run.api.post(f"/v1/handoffs/handoff-{lead_id}-1/ack", {})
    json_reply = "json" in reply.headers.get("content-type", "")
    run.ledger.check(
        reply.status_code == 200 and json_reply,
        f"ack after the reset answered {reply.status_code} "
        f"({'JSON' if json_reply else 'not JSON'})",
    )
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
    parked = set(reply.get("parked", []))
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
