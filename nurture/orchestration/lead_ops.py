"""Ops on one lead: stop it for good, or bring a halted lead back from its record.

A lead whose workflow ops terminated, cancelled or stopped keeps its record: profile,
score by rule, stage, the events it took, the handoffs and the mail it was sent. Resuming
starts a new workflow from that record, as continue-as-new would have: the score and the
de-duplication window carry over, an open handoff is asked whether sales still holds it,
and the scenario starts again from the top with the same enrolment, so the steps already
sent are not sent again. Then the parked events are applied, each once.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from nurture.authoring.journal import CARRIED_EVENTS
from nurture.authoring.state import LoggedEvent, ScenarioRun
from nurture.db import session_scope
from nurture.models import (
    NOT_HANDED,
    BehaviourEvent,
    HandoffStatus,
    LeadStatus,
    Stage,
    StageRecord,
    StopRequest,
    lead_workflow_id,
)
from nurture.orchestration import lead_runs
from nurture.repo import account_handoffs, leads, lifecycle
from nurture.rules.score_state import ScoreState
from nurture.settings import Settings
from nurture.tables import EmailMessage, Handoff, Lead, LeadEvent, StageChange
from scenarios.scoring import MODEL
from workflows.lead import LeadWorkflow, event_digest
from workflows.lead_state import DEDUP_WINDOW, LeadState, Phase

OPEN_HANDOFF = {
    s.value for s in (HandoffStatus.PENDING, HandoffStatus.ACCEPTED, HandoffStatus.OPPORTUNITY)
}
SALES_HELD = {Stage.MQL, Stage.SALES_PENDING, Stage.SALES_ACCEPTED, Stage.OPPORTUNITY}
DONE = {Stage.WON, Stage.LOST}
_ENROLMENT = re.compile(r"^step:[^:]+:(?P<scenario>[^#:]+)#(?P<n>\d+):")


class Refused(Exception):
    """Why a lead cannot be stopped or resumed now, in words for the operator."""


async def stop(client: Client, lead_id: uuid.UUID, reason: str) -> LeadStatus:
    """Stop the lead's workflow for good (`nurture leads stop`); its events park from now."""
    handle = client.get_workflow_handle_for(LeadWorkflow.run, lead_workflow_id(lead_id))
    try:
        return await handle.execute_update(LeadWorkflow.stop, StopRequest(reason=reason))
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            raise Refused(cause.message) from None
        raise
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise Refused("the lead's workflow is not running (already halted?)") from None
        raise


@dataclass(frozen=True)
class Resumed:
    stage: Stage
    score: int
    parked_applied: int


async def resume(client: Client, settings: Settings, engine: Engine, lead_id: uuid.UUID) -> Resumed:
    """Start a halted lead's workflow again from its record, then apply its parked events."""
    with session_scope(engine) as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise Refused(f"no lead {lead_id}")
    handle = client.get_workflow_handle(lead_workflow_id(lead_id))
    try:
        status = (await handle.describe()).status
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        status = None
    with session_scope(engine) as session:
        carry = carry_from_record(session, lead, datetime.now(UTC))
        if carry.phase != Phase.HANDOFF:  # an account it held is no longer with sales
            account_handoffs.end(session, lead.id, datetime.now(UTC), NOT_HANDED)
    if status == WorkflowExecutionStatus.RUNNING:
        if lead.halted is None:
            raise Refused("the lead's workflow is running; there is nothing to resume")
        # An earlier resume started the run and stopped short: finish its work.
        resumed = client.get_workflow_handle_for(LeadWorkflow.run, lead_workflow_id(lead.id))
    else:
        start = lead_runs.input_of(lead, settings).model_copy(
            update={"carry": carry, "scenario": lead.scenario}
        )
        resumed = await client.start_workflow(
            LeadWorkflow.run,
            start,
            id=lead_workflow_id(lead.id),
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,  # deliberately: the record
        )
    applied = await _apply_parked(engine, resumed, lead.id)
    with session_scope(engine) as session:
        at = now()
        text = (
            f"resumed by ops from its record: {carry.stage.value}, score {carry.score.score}; "
            f"{applied} parked event(s) applied"
        )
        lifecycle.clear_halt(session, lead.id, at, text)
        if carry.stage.value != lead.stage:  # a stopped lead gets the stage it had back
            leads.record_stage(
                session,
                StageRecord(
                    lead_id=str(lead.id),
                    at=at,
                    from_stage=Stage(lead.stage),
                    to_stage=carry.stage,
                    reason="resumed by ops",
                ),
            )
    # An event the API parked just before the halt was lifted goes too.
    applied += await _apply_parked(engine, resumed, lead.id)
    return Resumed(stage=carry.stage, score=carry.score.score, parked_applied=applied)


async def _apply_parked(engine: Engine, handle: Any, lead_id: uuid.UUID) -> int:
    """Signal the lead's parked events to its run, oldest first, until none is left."""
    applied = 0
    while True:
        with session_scope(engine) as session:
            parked = lifecycle.parked(session, lead_id)
        if not parked:
            return applied
        for row in parked:
            await handle.signal(LeadWorkflow.behaviour, BehaviourEvent.model_validate(row.event))
        with session_scope(engine) as session:
            lifecycle.mark_delivered(session, [r.id for r in parked if r.id is not None], now())
        applied += len(parked)


def now() -> datetime:
    return datetime.now(UTC)


def carry_from_record(session: Session, lead: Lead, now: datetime) -> LeadState:
    """What the lead's workflow would carry across continue-as-new, rebuilt from the record."""
    stage = _stage_before_halt(session, lead)
    events = list(
        session.exec(
            select(LeadEvent).where(LeadEvent.lead_id == lead.id).order_by(col(LeadEvent.id))
        ).all()
    )
    handoffs = list(session.exec(select(Handoff).where(Handoff.lead_id == lead.id)).all())
    open_handoffs = sorted(
        (h for h in handoffs if h.status in OPEN_HANDOFF), key=lambda h: h.created_at
    )
    active = open_handoffs[-1].id if open_handoffs and stage in SALES_HELD else None
    qualified = active is not None or stage == Stage.MQL  # MQL, no handoff yet: hand it off
    phase = Phase.CLOSED if stage in DONE else Phase.HANDOFF if qualified else Phase.NURTURE
    if phase == Phase.NURTURE and stage in SALES_HELD:
        stage = Stage.NURTURING  # sales no longer holds it: back to marketing
    enrolment, started_at = _enrolment(session, lead, now)
    logged = [
        LoggedEvent(seq=i + 1, applied_at=e.applied_at, event=_event(e))
        for i, e in enumerate(events)
    ]
    return LeadState(
        phase=phase,
        stage=stage,
        step=lead.step,
        score=_score(lead, events),
        seen=[event_digest(e.event_id) for e in events][-DEDUP_WINDOW:],
        events_total=len(events),
        recent_events=logged[-CARRIED_EVENTS:],
        qualified=phase == Phase.HANDOFF,
        intakes=1,  # the lead is not new to anyone
        handoffs=len(handoffs),
        active_handoff=active,
        rep_id=str(lead.rep_id) if lead.rep_id and phase != Phase.NURTURE else None,
        mail_stopped=bool(lead.unsubscribed_at or lead.bounced_at),
        marketing_sends=_recent_sends(session, lead, now),
        enrolment=enrolment,
        enrolled_at=lead.created_at,
        run=ScenarioRun(
            scenario=lead.scenario,
            enrolment=enrolment,
            started_at=started_at,
            events_mark=len(events),
        )
        if phase == Phase.NURTURE
        else None,
        entered={lead.scenario: started_at},
        verify_handoff=active is not None,
        **_account_held(session, lead, phase),
    )


def _account_held(session: Session, lead: Lead, phase: Phase) -> dict[str, Any]:
    """The account this lead carries to sales (its handoff's), so its end ends the claim;
    a lead of no account never asks again."""
    held = account_handoffs.holding(session, lead.id) if phase == Phase.HANDOFF else None
    told = lead_runs.account_at_start(lead)
    return {
        "no_account": told.account_id is None,
        "account_ask_from": told.ask_from,
        "account_group": list(held.leads or []) if held else [],
        "account_why": "its account's buying group (resumed from the record)" if held else "",
    }


def _stage_before_halt(session: Session, lead: Lead) -> Stage:
    """The lead's stage; for a lead stopped by ops, the one it had before the stop."""
    stage = Stage(lead.stage)
    if stage != Stage.DISQUALIFIED or lead.halted != "stopped":
        return stage
    last = session.exec(
        select(StageChange)
        .where(StageChange.lead_id == lead.id, StageChange.to_stage == Stage.DISQUALIFIED.value)
        .order_by(col(StageChange.id).desc())
        .limit(1)
    ).first()
    return Stage(last.from_stage) if last and last.from_stage else Stage.NURTURING


def _event(row: LeadEvent) -> BehaviourEvent:
    return BehaviourEvent(
        event_id=row.event_id,
        type=row.type,
        occurred_at=row.occurred_at,
        properties=row.properties,
    )


def _score(lead: Lead, events: list[LeadEvent]) -> ScoreState:
    """The recorded points per rule, with what once-only rules, decay and the MQL crossing
    remember, rebuilt by running the recorded events through the model."""
    state = ScoreState()
    profile = lead_runs.profile_of(lead)
    MODEL.apply_profile(state, profile, "resume")
    for row in events:
        MODEL.apply_event(state, _event(row), row.applied_at)
    # Behaviour points as recorded (decays included); attribute points from the profile as
    # it is now (an intake may have changed it while the lead was halted).
    behaviour = {k: v for k, v in lead.score_breakdown.items() if k not in MODEL.attribute_keys}
    state.breakdown = {**behaviour, **MODEL.attribute_points(profile)}
    state.above = MODEL.qualifies(state)
    state.next_decay_at = MODEL.decay_due(state)
    return state


def _enrolment(session: Session, lead: Lead, now: datetime) -> tuple[int, datetime]:
    """The enrolment number the lead's mail carries in its scenario, and when it began:
    a resumed scenario then finds its steps already sent and does not send them again."""
    rows = session.exec(
        select(EmailMessage.outbox_key, EmailMessage.scheduled_at).where(
            EmailMessage.lead_id == lead.id, EmailMessage.kind == "nurture"
        )
    ).all()
    best: tuple[int, datetime] | None = None
    for key, at in rows:
        match = _ENROLMENT.match(key)
        if match is None or match["scenario"] != lead.scenario:
            continue
        n = int(match["n"])
        if best is None or n > best[0] or (n == best[0] and at < best[1]):
            best = (n, at)
    return best or (1, now)


def _recent_sends(session: Session, lead: Lead, now: datetime) -> list[datetime]:
    """Marketing mail of the last week, for the frequency cap."""
    rows = session.exec(
        select(EmailMessage.sent_at).where(
            EmailMessage.lead_id == lead.id,
            EmailMessage.kind == "nurture",
            EmailMessage.status == "sent",
            col(EmailMessage.sent_at) >= now - timedelta(days=7),
        )
    ).all()
    return sorted(at for at in rows if at is not None)
