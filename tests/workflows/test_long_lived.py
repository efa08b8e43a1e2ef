"""A lead that lives for a year and takes 10,000 behaviour events, across many runs.

Servers never suggest continue-as-new this early, so the leads here are started with a
small history limit and continue-as-new dozens of times, mid-wait and mid-scenario.

Two servers, two tests: the real dev server takes the 10,000 events in concurrent bursts
(the time-skipping test server mishandles signals that arrive while a run continues as
new: its continue-as-new is not atomic), and the time-skipping server runs the year.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import func, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.models import BehaviourEvent
from nurture.settings import Settings
from nurture.tables import LeadEvent
from tests.utils.factories import COLD_PROFILE, event, load, make_lead, sent_mails, start_lead
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow

DAY = timedelta(days=1)
EVENTS = 10_000
# Signals that arrive while a workflow task runs come in the next one together. A burst of
# 1,000 made one activation of ~900 signals: 0.45 s idle, but over the SDK's fixed 2 s
# deadlock timer on a 2-core machine under stress-ng, and every retry carried more.
BURST = 200


async def _send(
    handle: WorkflowHandle[Any, Any], events: list[BehaviourEvent], at_once: int
) -> None:
    gate = asyncio.Semaphore(at_once)

    async def one(e: BehaviourEvent) -> None:
        async with gate:
            await handle.signal(LeadWorkflow.behaviour, e)

    await asyncio.gather(*(one(e) for e in events))


def _events_stored(engine: Engine, lead: Any) -> int:
    with session_scope(engine) as session:
        return session.exec(
            select(func.count()).select_from(LeadEvent).where(LeadEvent.lead_id == lead.id)
        ).one()


async def _until_stored(engine: Engine, lead: Any, count: int) -> None:
    for _ in range(1200):
        if _events_stored(engine, lead) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{_events_stored(engine, lead)} of {count} events stored")


def _mixed(ids: list[str]) -> list[BehaviourEvent]:
    """Page views (1 point each, capped at 10) and opens of one mail (0 points, once)."""
    return [
        event("page_view", event_id=i, path=f"/blog/{i}")
        if n % 2
        else event("email_open", event_id=i, message="m-1")
        for n, i in enumerate(ids)
    ]


async def test_ten_thousand_events_in_bursts_across_runs(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, **COLD_PROFILE)
    ids = [f"evt-{n}" for n in range(EVENTS)]
    async with running_worker(dev_env.client, settings, engine):
        handle = await start_lead(dev_env.client, settings, lead, continue_as_new_after=500)
        first_run = (await handle.describe()).run_id
        waiting = ""
        while not waiting:  # the first mail is sent; the two-day wait begins
            waiting = (await handle.query(LeadWorkflow.status)).waiting
        for burst in range(EVENTS // BURST):
            await _send(handle, _mixed(ids[burst * BURST : (burst + 1) * BURST]), at_once=64)
            # A run continues as new only between signals: a flood holds it back (the
            # server refuses to close a run with signals it has not seen). Bursts leave gaps.
            await _until_stored(engine, lead, (burst + 1) * BURST)
        await _send(handle, _mixed(ids[:BURST]), at_once=64)  # a retrying sender: all seen
        await asyncio.sleep(1.0)
        status = await handle.query(LeadWorkflow.status)
        last_run = (await handle.describe()).run_id

    assert status.events_applied == EVENTS == _events_stored(engine, lead)  # none lost, none twice
    assert status.score == 10 and status.breakdown == {"page_view": 10}  # the cap held
    assert status.stage == "nurturing" and load(engine, lead.id).score == 10
    assert status.runs > 5 and last_run != first_run
    # The scenario still sleeps toward the deadline it set in the first run.
    assert waiting.startswith("whitepaper/thanks: sleeping until") and status.waiting == waiting


async def test_a_year_of_a_lead_across_runs(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, **COLD_PROFILE)
    ids = [f"evt-{n}" for n in range(1200)]
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead, continue_as_new_after=150)
        await ts_env.sleep(DAY)  # inside the whitepaper's first two-day wait
        for month in range(12):
            # One at a time: see the module docstring.
            await _send(handle, _mixed(ids[month * 100 : (month + 1) * 100]), at_once=1)
            await _until_stored(engine, lead, (month + 1) * 100)
            await ts_env.sleep(30 * DAY)
        during = await handle.query(LeadWorkflow.status)
        await _send(handle, _mixed(ids[:100]), at_once=1)  # already seen: nothing changes
        await ts_env.sleep(100 * DAY)  # a quiet spell: behaviour points decay
        after = await handle.query(LeadWorkflow.status)
        mails = sent_mails(engine, lead.id)

    assert during.runs > 12 and during.score == 10 and during.stage == "nurturing"
    assert after.events_applied == 1200 == _events_stored(engine, lead)
    assert after.score == 5 and after.breakdown == {"page_view": 5}  # halved 90 days on
    assert [m.step for m in mails[:3]] == ["thanks", "case-studies", "hearing"]
    offsets = [(m.scheduled_at - mails[0].scheduled_at) / DAY for m in mails]
    assert 2 <= offsets[1] < 2.01 and 6 <= offsets[2] < 6.01  # on time, across runs
    monthly = mails[3:]
    assert {m.step for m in monthly} == {"monthly"} and 13 <= len(monthly) <= 16
    gaps = [(b.scheduled_at - a.scheduled_at) / DAY for a, b in itertools.pairwise(monthly)]
    assert all(25 <= g <= 35 for g in gaps), gaps  # monthly, never twice
    assert len({m.outbox_key for m in mails}) == len(mails)
