"""`nurture replay --query` as ops run it on a real dev server: may the legacy path go?

workflows/lead_legacy.py may be deleted once no running lead takes the path of leads
started before the `lead-long-lived-v2` patch. The command lists the running leads, replays
each, and says how many are on that path and which.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink
from nurture.orchestration import lead_ops
from nurture.settings import Settings
from tests.utils.factories import COLD_PROFILE, make_lead, start_lead
from tests.utils.processes import cli as run
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow
from workflows.lead_account import ACCOUNT_HANDOFF
from workflows.lead_legacy import LONG_LIVED
from workflows.lead_records import BATCHED, FIT_AXES

HISTORIES = Path(__file__).parent.parent / "histories"


async def _until_waiting(handle: WorkflowHandle[Any, Any]) -> None:
    """The lead's first workflow task is done: it shows what it waits for."""
    for _ in range(200):
        if (await handle.query(LeadWorkflow.status)).waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never began waiting")


async def _until_listed(client: Client, query: str, runs: set[str]) -> None:
    """Visibility is eventually consistent: wait until the query lists exactly these runs."""
    listed: set[str] = set()
    for _ in range(200):
        listed = {w.run_id async for w in client.list_workflows(query) if w.run_id}
        if listed == runs:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"listed {listed}, expected {runs}")


async def _run_id(handle: WorkflowHandle[Any, Any]) -> str:
    run_id = (await handle.describe()).run_id
    assert run_id is not None
    return run_id


async def test_replay_query_names_running_pre_patch_leads_until_ops_move_them(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    smtp: MailSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = dev_env.client
    server = {"NURTURE_TEMPORAL_ADDRESS": client.service_client.config.target_host}
    query = (
        f'WorkflowType="LeadWorkflow" AND ExecutionStatus="Running" '
        f'AND TaskQueue="{settings.task_queue}"'
    )
    # A lead from before the patch, as the worker of then started it: its first workflow
    # task never says yes to LONG_LIVED, so no marker is recorded, and every replay of its
    # history (by today's code, below) takes the pre-patch path.
    patched = workflow.patched
    then = (LONG_LIVED, BATCHED, FIT_AXES, ACCOUNT_HANDOFF)  # the worker of then knew none
    monkeypatch.setattr(workflow, "patched", lambda id: id not in then and patched(id))
    old = make_lead(engine, **COLD_PROFILE)
    async with running_worker(client, settings, engine):
        old_lead = await start_lead(client, settings, old)
        await _until_waiting(old_lead)
    monkeypatch.undo()

    new = make_lead(engine, **COLD_PROFILE)
    async with running_worker(client, settings, engine):
        new_lead = await start_lead(client, settings, new)
        await _until_waiting(new_lead)
        await _until_listed(client, query, {await _run_id(old_lead), await _run_id(new_lead)})
        before = await asyncio.to_thread(run, "replay", "--query", query, env=server)

        # What the legacy module's docstring tells ops to do with a pre-patch lead that
        # lingers: stop it and resume it from its record, on today's path.
        await lead_ops.stop(client, old.id, "moved off the pre-patch path")
        await lead_ops.resume(client, settings, engine, old.id)
        await _until_waiting(old_lead)
        await _until_listed(client, query, {await _run_id(old_lead), await _run_id(new_lead)})
        after = await asyncio.to_thread(run, "replay", "--query", query, env=server)
        status = await old_lead.query(LeadWorkflow.status)

    assert before.returncode == 0, before.stdout + before.stderr
    assert f"ok   {old_lead.id} (LeadWorkflow, " in before.stdout
    old_line = next(line for line in before.stdout.splitlines() if old_lead.id in line)
    assert old_line.endswith("events, pre-patch path)")
    new_line = next(line for line in before.stdout.splitlines() if new_lead.id in line)
    assert new_line.startswith("ok   ") and "pre-patch" not in new_line
    assert "replayed 2 histories: 2 ok, 0 failed" in before.stdout
    assert "running leads on the pre-patch path: 1 of 2" in before.stdout
    assert f"     {old_lead.id}" in before.stdout
    assert "keep workflows/lead_legacy.py" in before.stdout

    assert after.returncode == 0, after.stdout + after.stderr
    assert "pre-patch path)" not in after.stdout
    assert "running leads on the pre-patch path: 0 of 2" in after.stdout
    assert "workflows/lead_legacy.py may go, not before 2027-01-27" in after.stdout
    assert status.stage == "nurturing" and status.scenario == "whitepaper"  # same lead, on


def test_stored_histories_of_pre_patch_leads_are_named() -> None:
    result = run("replay", str(HISTORIES))
    pre_patch = sorted(
        line.split()[1] for line in result.stdout.splitlines() if "pre-patch path)" in line
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Recorded before the patch (tests/histories/record.py); the handoff-won of then is a
    # handoff's history, not a lead's.
    assert pre_patch == ["whitepaper-quiet", "whitepaper-won"]
    assert "running leads" not in result.stdout  # files are not the running fleet


async def test_replay_query_says_when_the_limit_hides_leads(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    client = dev_env.client
    server = {"NURTURE_TEMPORAL_ADDRESS": client.service_client.config.target_host}
    query = f'WorkflowType="LeadWorkflow" AND TaskQueue="{settings.task_queue}"'
    async with running_worker(client, settings, engine):
        leads = [
            await start_lead(client, settings, make_lead(engine, **COLD_PROFILE)) for _ in range(2)
        ]
        for lead in leads:
            await _until_waiting(lead)
        await _until_listed(client, query, {await _run_id(lead) for lead in leads})
        result = await asyncio.to_thread(
            run, "replay", "--query", query, "--limit", "1", env=server
        )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "replayed 1 histories: 1 ok, 0 failed" in result.stdout
    assert "the query lists more than 1 workflows: raise --limit to decide" in result.stdout
    assert "keep workflows/lead_legacy.py" in result.stdout
