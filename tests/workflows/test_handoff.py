"""Qualification fires once per lead, and handoffs rotate through the configured reps."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink
from nurture.models import EnrolRequest, LeadProfile, SalesAction
from nurture.orchestration import lead_ops
from nurture.settings import Settings
from tests.utils.factories import (
    HOT_PROFILE,
    event,
    load,
    make_lead,
    notes,
    sent_mails,
    stages,
    start_lead,
)
from tests.utils.stack import running_worker
from workflows.handoff import SalesHandoffWorkflow
from workflows.lead import LeadWorkflow


async def test_more_signals_after_mql_do_not_hand_off_again(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, **HOT_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        for kind in ("pricing_page_view", "case_study_download", "meeting_booked"):
            await handle.signal(LeadWorkflow.behaviour, event(kind))
            await ts_env.sleep(timedelta(hours=1))
        status = await handle.query(LeadWorkflow.status)

    assert status.score == 45 + 15 + 10 + 40
    assert stages(engine, lead.id) == ["nurturing", "mql", "sales_pending"]
    assert len(sent_mails(engine, lead.id, kind="rep")) == 1


async def test_handoffs_rotate_through_the_reps(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    leads = [make_lead(engine, **HOT_PROFILE) for _ in range(3)]
    async with running_worker(ts_env.client, settings, engine):
        for lead in leads:
            handle = await start_lead(ts_env.client, settings, lead)
            await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
            await ts_env.sleep(timedelta(minutes=5))
            # the handoff writes the lead's sales stage; the lead knows it is with sales
            assert load(engine, lead.id).stage == "sales_pending"
            assert (await handle.query(LeadWorkflow.status)).with_sales

    received = await smtp.received(6)
    rep_mails = [m.to for m in received if m.to.endswith("@sales.example.com")]
    assert rep_mails == [
        "rep.one@sales.example.com",
        "rep.two@sales.example.com",
        "rep.three@sales.example.com",
    ]


async def test_profile_update_rescores_the_lead(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, job_title="Engineer", industry="Retail")
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        status = await handle.execute_update(
            LeadWorkflow.enrol,
            EnrolRequest(profile=LeadProfile(job_title="CTO", industry="Retail")),
        )

    assert status.score == 20 and status.breakdown == {"decision_maker": 20}
    assert load(engine, lead.id).score == 20


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(300):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def test_a_lead_resumed_while_with_sales_takes_over_the_handoff_that_writes_its_stage(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    """Ops terminate a lead with sales and resume it from its record (which has the sales
    stage): the new run takes the handoff over without writing its stage again, its own
    stage is mql as for any lead with sales, and the handoff's later moves and end reach
    the read model and the lead once each."""
    client = dev_env.client
    lead = make_lead(engine, **HOT_PROFILE)
    async with running_worker(client, settings, engine):
        handle = await start_lead(client, settings, lead)
        await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
        await _until(lambda: _at(engine, lead.id, "sales_pending"), "handed to a rep")
        await handle.terminate("ops: worker host retired")
        await lead_ops.resume(client, settings, engine, lead.id)
        resumed = client.get_workflow_handle_for(LeadWorkflow.run, handle.id)

        async def taken_over() -> bool:
            return any("took over handoff-" in n for n in notes(engine, lead.id))

        await _until(taken_over, "the handoff taken over")
        with_sales = await resumed.query(LeadWorkflow.status)
        handoff = client.get_workflow_handle_for(SalesHandoffWorkflow.run, f"handoff-{lead.id}-1")
        rep = SalesAction(rep_id=str(load(engine, lead.id).rep_id))
        await handoff.execute_update(SalesHandoffWorkflow.ack, rep)
        acked = load(engine, lead.id).stage
        await handoff.execute_update(SalesHandoffWorkflow.won, rep.model_copy(update={"amount": 9}))

        async def won() -> bool:
            return (await resumed.query(LeadWorkflow.status)).stage == "won"

        await _until(won, "the lead told it was won")

    assert (with_sales.stage, with_sales.with_sales) == ("mql", True)
    assert acked == "sales_accepted"
    assert stages(engine, lead.id) == ["nurturing", "mql", "sales_pending", "sales_accepted", "won"]
    assert load(engine, lead.id).stage == "won"


async def _at(engine: Engine, lead_id: uuid.UUID, stage: str) -> bool:
    return load(engine, lead_id).stage == stage
