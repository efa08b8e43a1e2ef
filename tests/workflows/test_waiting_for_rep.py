"""A handoff nobody can take is assigned when the first away rep comes back, on the
time-skipping server: within seconds of the end of the away, not on the next hourly try."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.repo import handoffs, reps
from nurture.settings import Settings
from nurture.tables import Rep, RepAssignment
from scenarios.sla import SLA
from tests.utils.clock import skip_to
from tests.utils.factories import HOT_PROFILE, event, load, make_lead, stages, start_lead
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow


async def test_the_lead_goes_to_the_rep_whose_away_ends_first(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    start = await skip_to(ts_env, 2, 10, SLA.calendar)  # a Wednesday 10:00 in Tokyo
    back = start + timedelta(minutes=95)  # not on the hour of any retry
    with session_scope(engine) as session:
        for rep in session.exec(select(Rep)).all():
            rep.active = rep.email == "rep.two@sales.example.com"
            rep.away_until = back if rep.active else None
            session.add(rep)
    lead = make_lead(engine, **HOT_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
        await ts_env.sleep(timedelta(minutes=1))
        handoff_id = f"handoff-{lead.id}-1"
        for _ in range(1500):  # the record lands just after the first try finds nobody
            with session_scope(engine) as session:
                waiting = [e.event for e in handoffs.events(session, handoff_id)]
            if waiting:
                break
            await asyncio.sleep(0.02)
        assert waiting == ["waiting_for_rep"]
        while_waiting = await handle.query(LeadWorkflow.status)
        await ts_env.sleep(back - await ts_env.get_current_time() + timedelta(seconds=30))
        for _ in range(1500):  # the assignment's records land just after the timer fires
            with session_scope(engine) as session:
                done = session.exec(
                    select(RepAssignment).where(RepAssignment.handoff_id == handoff_id)
                ).first()
                rep_two = reps.find_rep(session, "rep.two@sales.example.com")
            if done is not None:
                break
            await asyncio.sleep(0.02)
        for _ in range(500):  # the lead hears that a rep took it after all
            assigned = await handle.query(LeadWorkflow.status)
            if assigned.rep_id is not None:
                break
            await asyncio.sleep(0.02)
    assert done is not None and done.rep_id == rep_two.id
    assert back <= done.at < back + timedelta(seconds=5)
    # While nobody could take it the lead stayed mql; once a rep did, the handoff wrote the
    # lead's sales stage once, with the rep, and the lead's own stage is still mql.
    assert while_waiting.waiting.startswith("waiting for a sales rep")
    assert stages(engine, lead.id) == ["nurturing", "mql", "sales_pending"]
    assert load(engine, lead.id).rep_id == rep_two.id
    assert (assigned.stage, assigned.rep_id) == ("mql", str(rep_two.id))
    assert assigned.waiting == f"with sales: {handoff_id}"
