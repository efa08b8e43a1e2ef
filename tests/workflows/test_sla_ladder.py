"""The SLA ladder on the time-skipping server: ack, reminder, reassignment, breach, outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from nurture import search_attributes as sa
from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.models import (
    REASSIGN_UPDATE,
    HandoffState,
    HandoffStatus,
    ReassignRequest,
    SalesAction,
)
from nurture.repo import handoffs, reps
from nurture.settings import Settings
from nurture.tables import Handoff
from scenarios.sla import SLA
from tests.utils.clock import skip_to
from tests.utils.factories import HOT_PROFILE, event, load, make_lead, stages, start_lead
from tests.utils.stack import running_worker
from workflows.handoff import SalesHandoffWorkflow
from workflows.lead import LeadWorkflow

MINUTE = timedelta(minutes=1)


@dataclass
class Qualified:
    env: WorkflowEnvironment
    engine: Engine
    lead_id: Any
    lead: WorkflowHandle[Any, Any]
    handoff: WorkflowHandle[Any, Any]

    async def deadline(self) -> datetime:
        state = await self.handoff.query(SalesHandoffWorkflow.state)
        assert state.deadline is not None
        return state.deadline

    async def sleep_until(self, when: datetime) -> None:
        now = await self.env.get_current_time()
        await self.env.sleep(when - now)

    def rep_id(self, email: str) -> str:
        with session_scope(self.engine) as session:
            return str(reps.find_rep(session, email).id)

    def assigned_at(self) -> datetime:
        """When the rep was assigned: the SLA clock starts there."""
        with session_scope(self.engine) as session:
            rows = handoffs.events(session, self.handoff.id)
        return next(r.at for r in rows if r.event == "assigned")

    def sla_events(self) -> list[str]:
        with session_scope(self.engine) as session:
            rows = handoffs.events(session, self.handoff.id)
        return [r.event for r in rows]


@pytest.fixture
async def qualified(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> AsyncIterator[Qualified]:
    """A lead at 60 points, handed to Rep One (round-robin) with the SLA clock running.

    The clock is pinned to a Wednesday 10:00 in Tokyo with no holiday in the week after,
    whatever day and hour the test runs at.
    """
    await skip_to(ts_env, 2, 10, SLA.calendar)
    lead = make_lead(engine, **HOT_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
        await ts_env.sleep(MINUTE)
        handoff = ts_env.client.get_workflow_handle_for(
            SalesHandoffWorkflow.run, f"handoff-{lead.id}-1"
        )
        yield Qualified(ts_env, engine, lead.id, handle, handoff)


def _mails_to(smtp: MailSink, address: str) -> list[str]:
    return [m.subject for m in smtp.messages if m.to == address]


async def _stage_becomes(q: Qualified, stage: str) -> str:
    """The lead's stage once it is `stage` (the lead records it just after the handoff acts)."""
    for _ in range(250):
        current = load(q.engine, q.lead_id).stage
        if current == stage:
            break
        await asyncio.sleep(0.02)
    return current


async def _await_mail(smtp: MailSink, address: str, word: str) -> list[str]:
    """Subjects to `address` once one contains `word` (sends run just after a timer fires)."""
    for _ in range(500):
        subjects = _mails_to(smtp, address)
        if any(word in s for s in subjects):
            return subjects
        await asyncio.sleep(0.02)
    return _mails_to(smtp, address)


async def test_ack_in_time_stops_the_clock(qualified: Qualified, smtp: MailSink) -> None:
    rep_one = qualified.rep_id("rep.one@sales.example.com")
    state = await qualified.handoff.execute_update(
        SalesHandoffWorkflow.ack, SalesAction(rep_id=rep_one)
    )
    assert state.status == HandoffStatus.ACCEPTED
    await qualified.env.sleep(timedelta(days=10))

    assert qualified.sla_events() == ["assigned", "ack"]
    assert stages(qualified.engine, qualified.lead_id)[-2:] == ["sales_pending", "sales_accepted"]
    assert len(_mails_to(smtp, "rep.one@sales.example.com")) == 1  # the handoff, no reminder
    with session_scope(qualified.engine) as session:
        row = session.get(Handoff, qualified.handoff.id)
        assert row is not None and row.acknowledged_at is not None and row.deadline_at
        assert row.acknowledged_at <= row.deadline_at  # within SLA


async def test_deadline_is_one_business_day_for_a_normal_lead(qualified: Qualified) -> None:
    assigned = qualified.assigned_at()
    deadline = await qualified.deadline()
    assert deadline == SLA.calendar.add(assigned, timedelta(hours=9))
    assert SLA.calendar.between(assigned, deadline) == timedelta(hours=9)
    # Assigned Wednesday 10:00 (and a few milliseconds): 8 hours that day, 1 the next morning.
    local, start = deadline.astimezone(SLA.calendar.zone), assigned.astimezone(SLA.calendar.zone)
    assert (start.weekday(), start.hour) == (2, 10)
    assert (local.date() - start.date(), local.weekday(), local.hour) == (timedelta(days=1), 3, 10)


async def test_reminder_then_ack(qualified: Qualified, smtp: MailSink) -> None:
    deadline = await qualified.deadline()
    await qualified.sleep_until(deadline + MINUTE)
    subjects = await _await_mail(smtp, "rep.one@sales.example.com", "Reminder")
    assert len([s for s in subjects if "Reminder" in s]) == 1
    await qualified.handoff.execute_update(
        SalesHandoffWorkflow.ack, SalesAction(rep_id=qualified.rep_id("rep.one@sales.example.com"))
    )
    await qualified.env.sleep(timedelta(days=10))
    assert qualified.sla_events() == ["assigned", "reminder", "ack"]
    assert _mails_to(smtp, "boss@sales.example.com") == []


async def test_manager_told_then_reassigned_then_ack_by_the_new_rep(
    qualified: Qualified, smtp: MailSink
) -> None:
    deadline = await qualified.deadline()
    ladder = SLA.ladder
    await qualified.sleep_until(SLA.calendar.add(deadline, ladder.tell_manager_after) + MINUTE)
    assert len(await _await_mail(smtp, "boss@sales.example.com", "SLA escalation")) == 1
    await qualified.sleep_until(SLA.calendar.add(deadline, ladder.reassign_after) + MINUTE)

    state = await qualified.handoff.query(SalesHandoffWorkflow.state)
    rep_two = qualified.rep_id("rep.two@sales.example.com")
    assert state.rep_id == rep_two and state.reassignments == 1
    assert state.deadline is not None and state.deadline > deadline  # a new clock
    assert any(
        "Withdrawn" in s for s in await _await_mail(smtp, "rep.one@sales.example.com", "Withdrawn")
    )
    assert any(
        "is ready for sales" in s
        for s in await _await_mail(smtp, "rep.two@sales.example.com", "ready for sales")
    )

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await qualified.handoff.execute_update(
            SalesHandoffWorkflow.ack,
            SalesAction(rep_id=qualified.rep_id("rep.one@sales.example.com")),
        )
    assert getattr(refused.value.cause, "type", None) == "NotYourHandoff"
    await qualified.handoff.execute_update(SalesHandoffWorkflow.ack, SalesAction(rep_id=rep_two))
    assert qualified.sla_events() == ["assigned", "reminder", "escalation", "reassigned", "ack"]
    assert await _stage_becomes(qualified, "sales_accepted") == "sales_accepted"


async def test_full_breach_withdraws_and_recycles_the_lead(
    qualified: Qualified, smtp: MailSink
) -> None:
    await qualified.env.sleep(timedelta(days=14))
    result = await qualified.handoff.result()
    assert result.status == HandoffStatus.WITHDRAWN
    events = qualified.sla_events()
    assert events.count("reassigned") == SLA.ladder.max_reassignments
    assert events[-1] == "breach"
    assert any(
        "Withdrawn" in s
        for s in await _await_mail(smtp, "rep.three@sales.example.com", "Withdrawn")
    )

    lead = load(qualified.engine, qualified.lead_id)
    assert lead.stage == "recycled" and lead.rep_id is None and lead.scenario == "recycle"
    assert lead.score == 45  # behaviour points reset: it must show interest again
    assert stages(qualified.engine, qualified.lead_id)[-1] == "recycled"


async def test_reject_recycles_and_the_lead_can_qualify_again(
    qualified: Qualified, smtp: MailSink
) -> None:
    state = await qualified.handoff.execute_update(
        SalesHandoffWorkflow.reject,
        SalesAction(
            rep_id=qualified.rep_id("rep.one@sales.example.com"),
            reason="bad_timing",
            note="budget next fiscal year",
        ),
    )
    assert state.status == HandoffStatus.REJECTED
    assert await _stage_becomes(qualified, "recycled") == "recycled"

    await qualified.env.sleep(timedelta(days=40))  # the recycle track's check-in goes out
    await qualified.lead.signal(LeadWorkflow.behaviour, event("webinar_attended"))
    await qualified.env.sleep(MINUTE)

    status = await qualified.lead.query(LeadWorkflow.status)
    assert status.with_sales and status.score == 65
    assert stages(qualified.engine, qualified.lead_id) == [
        "nurturing",
        "mql",
        "sales_pending",
        "recycled",
        "mql",
        "sales_pending",
    ]
    with session_scope(qualified.engine) as session:
        rows = session.exec(select(Handoff).where(Handoff.lead_id == qualified.lead_id)).all()
        by_id = {h.id: h for h in rows}
    first = by_id[f"handoff-{qualified.lead_id}-1"]
    assert first.status == "rejected" and first.outcome_reason == "bad_timing"
    assert first.outcome_note == "budget next fiscal year"
    assert by_id[f"handoff-{qualified.lead_id}-2"].status == "pending"
    checkins = [m for m in smtp.messages if m.to.endswith("@customer.example.com")]
    assert any("how are things" in m.subject for m in checkins)


async def test_won_with_amount(qualified: Qualified) -> None:
    rep = SalesAction(rep_id=qualified.rep_id("rep.one@sales.example.com"))
    h = qualified.handoff
    with pytest.raises(WorkflowUpdateFailedError) as early:
        await h.execute_update(SalesHandoffWorkflow.won, rep.model_copy(update={"amount": 1}))
    assert "must be accepted or opportunity" in str(early.value.cause)
    await h.execute_update(SalesHandoffWorkflow.ack, rep)
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await h.execute_update(SalesHandoffWorkflow.ack, rep)
    assert "already accepted" in str(twice.value.cause)
    await h.execute_update(
        SalesHandoffWorkflow.opportunity, rep.model_copy(update={"amount": Decimal("1000000")})
    )
    await h.execute_update(
        SalesHandoffWorkflow.won, rep.model_copy(update={"amount": Decimal("1200000")})
    )
    result = await h.result()
    assert result.status == HandoffStatus.WON
    await qualified.env.sleep(MINUTE)
    assert stages(qualified.engine, qualified.lead_id)[-4:] == [
        "sales_pending",
        "sales_accepted",
        "opportunity",
        "won",
    ]
    with session_scope(qualified.engine) as session:
        row = session.get(Handoff, h.id)
        assert row is not None and row.status == "won" and row.amount == Decimal("1200000")


async def test_the_handoff_writes_the_sales_stage_and_the_lead_hears_the_end(
    qualified: Qualified,
) -> None:
    """One writer per sales move (issue 13): the handoff records the lead's sales stage
    with its own record, in the same transaction; the lead is told no stage by signal, only
    that the handoff ended, and then takes its stage (and LeadStage) from the result."""
    rep_one = qualified.rep_id("rep.one@sales.example.com")
    rep = SalesAction(rep_id=rep_one)
    h = qualified.handoff
    assert await _stage_becomes(qualified, "sales_pending") == "sales_pending"
    # At once after the ack's answer, not after a signal to the lead and its own write.
    await h.execute_update(SalesHandoffWorkflow.ack, rep)
    lead_row = load(qualified.engine, qualified.lead_id)
    assert (lead_row.stage, str(lead_row.rep_id)) == ("sales_accepted", rep_one)
    while_with_sales = await qualified.lead.query(LeadWorkflow.status)
    await h.execute_update(SalesHandoffWorkflow.won, rep.model_copy(update={"amount": 5}))
    await h.result()
    await qualified.env.sleep(MINUTE)
    status = await qualified.lead.query(LeadWorkflow.status)
    history = await qualified.lead.fetch_history()

    assert while_with_sales.with_sales and while_with_sales.stage == "mql"
    assert (status.stage, status.rep_id, status.with_sales) == ("won", rep_one, False)
    assert stages(qualified.engine, qualified.lead_id) == [
        "nurturing",
        "mql",
        "sales_pending",
        "sales_accepted",
        "won",
    ]
    signals = [
        e.workflow_execution_signaled_event_attributes.signal_name
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert signals == ["behaviour", "handoff_closed"]
    lead_stages = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields[
            "LeadStage"
        ].data
        for e in history.events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
        and "LeadStage"
        in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    assert lead_stages == [b'"nurturing"', b'"mql"', b'"won"']


async def _handoff_state(q: Qualified) -> str | None:
    """The HandoffState search attribute ops filter on."""
    return (await q.handoff.describe()).typed_search_attributes.get(sa.HANDOFF_STATE)


async def _reassign(q: Qualified, to: str) -> HandoffState:
    request = ReassignRequest(to_rep_id=to, by="manager:test")
    state: HandoffState = await q.handoff.execute_update(
        REASSIGN_UPDATE, request, result_type=HandoffState
    )
    return state


async def test_a_manager_reassignment_starts_the_new_reps_ladder(
    qualified: Qualified, smtp: MailSink
) -> None:
    first = await qualified.deadline()
    await qualified.sleep_until(first - timedelta(hours=1))
    rep_three = qualified.rep_id("rep.three@sales.example.com")
    moved = await _reassign(qualified, rep_three)
    assert moved.rep_id == rep_three and moved.deadline is not None and moved.deadline > first
    # Rep One's old deadline passes: nobody is reminded of it.
    await qualified.sleep_until(first + timedelta(minutes=5))
    assert qualified.sla_events() == ["assigned", "reassigned"]
    assert await _handoff_state(qualified) == "pending"
    # Rep Three's own deadline passes: the ladder runs for them.
    await qualified.sleep_until(moved.deadline + MINUTE)
    subjects = await _await_mail(smtp, "rep.three@sales.example.com", "Reminder")
    assert len([s for s in subjects if "Reminder" in s]) == 1
    assert qualified.sla_events() == ["assigned", "reassigned", "reminder"]
    assert await _handoff_state(qualified) == "overdue"
    assert not [s for s in _mails_to(smtp, "rep.one@sales.example.com") if "Reminder" in s]


async def test_a_refused_reassignment_does_not_hurry_the_ladder(
    qualified: Qualified, smtp: MailSink
) -> None:
    deadline = await qualified.deadline()
    with session_scope(qualified.engine) as session:
        reps.find_rep(session, "rep.three@sales.example.com").active = False
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await _reassign(qualified, qualified.rep_id("rep.three@sales.example.com"))
    assert getattr(refused.value.cause, "type", None) == "RepUnavailable"
    await qualified.sleep_until(deadline - MINUTE)
    assert qualified.sla_events() == ["assigned"]  # no early reminder
    state = await qualified.handoff.query(SalesHandoffWorkflow.state)
    assert state.rep_id == qualified.rep_id("rep.one@sales.example.com")
    await qualified.sleep_until(deadline + MINUTE)
    await _await_mail(smtp, "rep.one@sales.example.com", "Reminder")
    assert qualified.sla_events() == ["assigned", "reminder"]


async def test_an_escalated_handoff_is_found_by_its_state(qualified: Qualified) -> None:
    deadline = await qualified.deadline()
    await qualified.sleep_until(SLA.calendar.add(deadline, SLA.ladder.tell_manager_after) + MINUTE)
    for _ in range(500):  # the escalation lands just after its timer
        if "escalation" in qualified.sla_events():
            break
        await asyncio.sleep(0.02)
    assert await _handoff_state(qualified) == "escalated"
