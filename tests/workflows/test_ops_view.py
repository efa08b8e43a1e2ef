"""What ops see in the Temporal UI and CLI: search attributes and what each lead waits for.

On the real dev server, read back the way the UI and `temporal workflow list` read them.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from nurture import search_attributes as sa
from nurture.binaries import find_binary
from nurture.mailsink import MailSink
from nurture.models import LeadStatus, lead_workflow_id
from nurture.orchestration import lead_runs
from nurture.settings import Settings
from tests.utils.factories import (
    COLD_PROFILE,
    HOT_PROFILE,
    event,
    load,
    make_lead,
    stages,
    start_lead,
)
from tests.utils.stack import REPS, running_worker
from workflows.lead import LeadWorkflow


async def _details(handle: WorkflowHandle[Any, Any]) -> str:
    """The workflow's current details, as the UI asks for them."""
    meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return str(meta.current_details)


async def _until(handle: WorkflowHandle[Any, Any], ok: Callable[[LeadStatus], bool]) -> None:
    for _ in range(200):
        if ok(await handle.query(LeadWorkflow.status)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the lead never got there")


async def _listed(client: Client, query: str, workflow_id: str) -> bool:
    for _ in range(100):  # visibility trails the workflow by a moment
        if workflow_id in [w.id async for w in client.list_workflows(query)]:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_search_attributes_and_current_details(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    client = dev_env.client
    hot = make_lead(engine, email="hot.lead@customer.example.com", name="Kato Rin", **HOT_PROFILE)
    cold = make_lead(engine, **COLD_PROFILE)
    async with running_worker(client, settings, engine):
        hot_handle = await start_lead(client, settings, hot)
        cold_handle = await start_lead(client, settings, cold)
        await _until(hot_handle, lambda s: s.step == "thanks")  # the first mail went out
        await hot_handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
        await _until(hot_handle, lambda s: s.with_sales)
        await _until(hot_handle, lambda _: load(engine, hot.id).stage == "sales_pending")
        # The lead's own stage stays mql while sales has it: the handoff, which writes the
        # sales stage to the read model, is where ops look for where sales stands.
        listed = await _listed(
            client, "LeadStage='mql' AND LeadScore >= 60 AND Source='wp-2026'", hot_handle.id
        )
        # The score's two axes: a decision maker in a top industry (fit A), one pricing view.
        by_axes = await _listed(client, "FitGrade='A' AND Engagement >= 15", hot_handle.id)
        described = (await hot_handle.describe()).typed_search_attributes
        started = (await cold_handle.describe()).start_time
        hot_details, cold_details = await _details(hot_handle), await _details(cold_handle)
        handoff = client.get_workflow_handle(f"handoff-{hot.id}-1")
        handoff_pending = await _listed(
            client, "WorkflowType='SalesHandoffWorkflow' AND HandoffState='pending'", handoff.id
        )
        handoff_details = await _details(handoff)
        histories = [
            (await h.fetch_history()).to_json() for h in (hot_handle, cold_handle, handoff)
        ]
        cli = subprocess.run(
            [
                find_binary("temporal"),
                "workflow",
                "list",
                "--address",
                client.service_client.config.target_host,
                "--query",
                "LeadStage='mql'",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert listed and by_axes
    values = {k.name: described.get(k) for k in sa.ALL if k != sa.HANDOFF_STATE}
    assert values == {
        "LeadScore": 60,
        "LeadStage": "mql",
        "Scenario": "whitepaper",
        "ScenarioStep": None,  # not searched by: the details line names the step
        "Source": "wp-2026",
        "FitGrade": "A",
        "Engagement": 15,
    }
    assert not any("hot.lead" in str(v) or "Kato" in str(v) for v in values.values())
    assert hot_details == f"with sales: handoff-{hot.id}-1"
    # Ops find the handoff by where it stands; its details name the rep by ID and the deadline.
    assert handoff_pending
    assert handoff_details.startswith("pending: with rep ") and "acknowledge by" in handoff_details
    what, until = cold_details.split(" until ")
    assert what == "whitepaper/thanks: sleeping"
    wake = datetime.strptime(until, "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
    assert abs(wake - (started + timedelta(days=2))) < timedelta(minutes=1)
    assert cli.returncode == 0 and hot_handle.id in cli.stdout and cold_handle.id not in cli.stdout
    # No personal data in workflow history either: not the lead's, not the rep's.
    personal = ["hot.lead@customer.example.com", "Kato Rin", "Acme KK", cold.email]
    personal += [rep.name for rep in REPS] + [str(rep.email) for rep in REPS]
    assert not [p for p in personal for h in histories if p in h]


async def test_a_lead_taken_in_by_the_api_is_found_at_once_and_costs_one_write(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    """Intake as the API does it (update-with-start): ops find the lead by score, stage,
    scenario and source from its start; its first task, to the first mail, records one
    patch marker and one read-model write, and upserts nothing: the profile's points came
    with the start, scored by the starter (issue 13)."""
    client = dev_env.client
    lead = make_lead(engine, **HOT_PROFILE)
    anytime = settings.model_copy(update={"send_window": False})
    async with running_worker(client, settings, engine):
        status = await lead_runs.enrol(client, anytime, lead)
        handle = client.get_workflow_handle(lead_workflow_id(lead.id))
        await _until(handle, lambda s: s.step == "thanks")
        await smtp.received(1, timeout=30)
        listed = await _listed(
            client,
            f"LeadScore = {status.score if status else -1} AND LeadStage='nurturing' "
            "AND Scenario='whitepaper' AND Source='wp-2026'",
            handle.id,
        )
        history = await handle.fetch_history()

    assert status is not None and status.score == 45
    assert listed
    upserted = [
        set(e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
        for e in history.events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    assert upserted == [{"TemporalChangeVersion"}]  # the SDK's, with the patch marker
    markers = [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
    ]
    assert markers == ["core_patch", "core_local_activity"]
    # The one write holds what the four did: the score, the stage, the step.
    row = load(engine, lead.id)
    assert (row.score, row.stage, row.step) == (45, "nurturing", "thanks")
    assert stages(engine, lead.id) == ["nurturing"]
