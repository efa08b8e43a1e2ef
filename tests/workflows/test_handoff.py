"""Qualification fires once per lead, and handoffs rotate through the configured reps."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink
from nurture.models import EnrolRequest, LeadProfile
from nurture.settings import Settings
from tests.utils.factories import (
    HOT_PROFILE,
    event,
    load,
    make_lead,
    sent_mails,
    stages,
    start_lead,
)
from tests.utils.stack import running_worker
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
