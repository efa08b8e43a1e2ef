"""Sales endpoints: a rep's handoffs with the SLA time left, and the actions on them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.action_bodies import REASONS, TAKES_AMOUNT, ActionBody, documented
from api.action_keys import action_update_id
from api.deps import ActorDep, AppState, SessionDep, StateDep
from api.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Unavailable
from api.responses import errors
from api.schemas import ActionIn, HandoffOut, HandoffPage
from nurture.db import session_scope
from nurture.repo import handoffs as repo
from nurture.repo import leads, reps
from nurture.tables import Handoff
from scenarios.sla import SLA
from workflows.handoff import SalesHandoffWorkflow
from workflows.models import CLOSED_HANDOFF, HandoffStatus, SalesAction
from workflows.sales_rules import Action

router = APIRouter(prefix="/v1/handoffs", tags=["handoffs"])

UPDATES: dict[Action, Any] = {
    Action.ACK: SalesHandoffWorkflow.ack,
    Action.REJECT: SalesHandoffWorkflow.reject,
    Action.OPPORTUNITY: SalesHandoffWorkflow.opportunity,
    Action.WON: SalesHandoffWorkflow.won,
    Action.LOST: SalesHandoffWorkflow.lost,
}
# How a query times out when no worker polls: the SDK's own deadline, or the server's.
NO_ANSWER = (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED)
REFUSALS: dict[str, type[DomainError]] = {
    "NotYourHandoff": Forbidden,
    "OutOfOrder": Conflict,
    "InvalidReason": Invalid,
    "InvalidAmount": Invalid,
}


def _out(session: Any, handoff: Handoff, now: datetime) -> HandoffOut:
    lead = leads.get_lead(session, handoff.lead_id)
    rep = reps.get_rep(session, handoff.rep_id) if handoff.rep_id else None
    running = handoff.status == HandoffStatus.PENDING.value and handoff.deadline_at is not None
    deadline = handoff.deadline_at
    return HandoffOut(
        id=handoff.id,
        lead_id=handoff.lead_id,
        lead_name=lead.name if lead else "",
        company=lead.company if lead else "",
        score=handoff.score,
        priority=handoff.priority,
        status=handoff.status,
        rep=rep.name if rep else None,
        reason=handoff.reason,
        reassignments=handoff.reassignments,
        created_at=handoff.created_at,
        deadline_at=deadline,
        acknowledged_at=handoff.acknowledged_at,
        overdue=bool(running and deadline and deadline < now),
        time_left_seconds=int((deadline - now).total_seconds()) if running and deadline else None,
        business_time_left_seconds=int(SLA.calendar.between(now, deadline).total_seconds())
        if running and deadline
        else None,
        outcome_reason=handoff.outcome_reason,
        amount=handoff.amount,
    )


@router.get("", response_model=HandoffPage, responses=errors(401, 422))
def list_handoffs(
    session: SessionDep,
    actor: ActorDep,
    open_only: Annotated[bool, Query(alias="open")] = False,
) -> HandoffPage:
    """The caller's handoffs (an admin sees all), newest first, with the SLA time left."""
    rows = repo.for_rep(session, None if actor.is_admin else actor.rep_id, open_only=open_only)
    now = datetime.now(UTC)
    return HandoffPage(total=len(rows), items=[_out(session, h, now) for h in rows])


@router.get(
    "/{handoff_id}",
    response_model=HandoffOut,
    responses=errors(401, 403, 422, e404="no such handoff"),
)
def get_handoff(handoff_id: str, session: SessionDep, actor: ActorDep) -> HandoffOut:
    handoff = _owned(session, handoff_id, actor)
    return _out(session, handoff, datetime.now(UTC))


def _owned(session: Any, handoff_id: str, actor: Any) -> Handoff:
    handoff = repo.get(session, handoff_id)
    if handoff is None:
        raise NotFound(f"no handoff {handoff_id}")
    if not actor.is_admin and handoff.rep_id != actor.rep_id:
        raise Forbidden("this handoff is not assigned to you")
    return handoff


async def _act(
    action: Action, handoff_id: str, body: ActionIn, state: StateDep, actor: ActorDep
) -> HandoffOut:
    if body.amount is not None and action not in TAKES_AMOUNT:
        raise Invalid(
            f"amount belongs to opportunity and won, not to {action.value}; send it there",
            [{"field": "amount", "problem": f"not accepted by {action.value}"}],
        )
    if body.reason is not None and action not in REASONS:
        raise Invalid(
            f"reason belongs to reject and lost, not to {action.value}; a note may say why",
            [{"field": "reason", "problem": f"not accepted by {action.value}"}],
        )

    def load() -> Handoff:
        with session_scope(state.engine) as session:
            return _owned(session, handoff_id, actor)

    handoff = await run_in_threadpool(load)
    request = SalesAction(
        rep_id=None if actor.is_admin else str(actor.rep_id),
        reason=body.reason,
        note=body.note,
        amount=body.amount,
    )
    update_id = action_update_id(
        handoff_id, action.value, request.rep_id,
        reason=request.reason, note=request.note, amount=request.amount,
    )  # fmt: skip
    handle = state.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff_id)
    wait = timedelta(seconds=state.settings.intake_wait_seconds)
    if handoff.status in {s.value for s in CLOSED_HANDOFF}:
        await _recorded_before(handle, action, update_id, wait, handoff.status)
        return await run_in_threadpool(_reread, state, handoff)
    try:
        # An update the server holds while no worker runs is applied whenever one comes
        # back, long after we answered. So first make sure a worker answers at all.
        await handle.query(SalesHandoffWorkflow.state, rpc_timeout=wait)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise Conflict("the handoff is closed; nothing more can be done") from None
        if err.status in NO_ANSWER:
            raise Unavailable(
                f"no worker answered within {wait.total_seconds():g} s; the {action.value} "
                "was not recorded: try again (the same request is safe to repeat)"
            ) from None
        raise
    try:
        # The update ID makes a retry of this very request return what the first recorded.
        await handle.execute_update(UPDATES[action], request, id=update_id, rpc_timeout=wait)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
            raise REFUSALS[cause.type](cause.message) from None
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        # A worker answered a moment ago, so it may still take the action: say so.
        raise Unavailable(
            f"the worker did not confirm the {action.value} within {wait.total_seconds():g} s; "
            "it may still be recorded: repeat the same request, which is safe (it answers "
            "what was recorded and never acts twice)"
        ) from None
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise Conflict("the handoff is closed; nothing more can be done") from None
        raise
    return await run_in_threadpool(_reread, state, handoff)


async def _recorded_before(
    handle: WorkflowHandle[Any, Any], action: Action, update_id: str, wait: timedelta, status: str
) -> None:
    """Return when this very request was recorded before (a retry); else 409.

    The server keeps each update's outcome with the workflow's history, so this needs no
    worker and works after the handoff has ended.
    """
    try:
        await handle.get_update_handle_for(UPDATES[action], update_id).result(rpc_timeout=wait)
    except (RPCError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise Conflict(f"the handoff is closed ({status}); nothing more can be done") from None


def _reread(state: AppState, handoff: Handoff) -> HandoffOut:
    with session_scope(state.engine) as session:
        fresh = repo.get(session, handoff.id)
        return _out(session, fresh or handoff, datetime.now(UTC))


Endpoint = Callable[..., Awaitable[HandoffOut]]
ACTION_RESPONSES = errors(
    400, 401, 413, 422,
    e403="the handoff is another rep's",
    e404="no such handoff",
    e409="the action is out of order, or the handoff is closed (a repeat of the very "
    "request that closed it answers 200 with the recorded state)",
    e503="no worker answered or confirmed in time; repeating the same request is safe: "
    "it answers what was recorded and never acts twice",
)  # fmt: skip


def _action_route(action: Action) -> Callable[[Endpoint], Endpoint]:
    return router.post(
        f"/{{handoff_id}}/{action.value}",
        response_model=HandoffOut,
        responses=ACTION_RESPONSES,
        openapi_extra=documented(action),
    )


def _reason(body: ActionIn, action: Action) -> None:
    allowed = REASONS[action]
    if body.reason in allowed:
        return
    choices = ", ".join(allowed)
    if body.reason is None:
        message = f"reason is required for {action.value}; one of: {choices}"
    else:
        message = f"reason {body.reason!r} is not one of: {choices}"
    raise Invalid(message, [{"field": "reason", "problem": message}])


@_action_route(Action.ACK)
async def ack(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Acknowledge the lead: stops the SLA clock. Optional `note`."""
    return await _act(Action.ACK, handoff_id, body, state, actor)


@_action_route(Action.REJECT)
async def reject(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Send the lead back to marketing: `reason` from the SLA's list, optional `note`."""
    _reason(body, Action.REJECT)
    return await _act(Action.REJECT, handoff_id, body, state, actor)


@_action_route(Action.OPPORTUNITY)
async def opportunity(
    handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody
) -> HandoffOut:
    """Record a valid opportunity: optional `amount` (expected revenue) and `note`."""
    return await _act(Action.OPPORTUNITY, handoff_id, body, state, actor)


@_action_route(Action.WON)
async def won(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Record the deal as won: `amount` (revenue) is required, `note` optional."""
    if body.amount is None:
        message = 'amount is required for a won deal: send {"amount": <revenue>}'
        raise Invalid(message, [{"field": "amount", "problem": "is required"}])
    if body.amount <= 0:
        message = "amount must be greater than 0 for a won deal"
        raise Invalid(message, [{"field": "amount", "problem": "must be greater than 0"}])
    return await _act(Action.WON, handoff_id, body, state, actor)


@_action_route(Action.LOST)
async def lost(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Record the deal as lost: `reason` from the SLA's list, optional `note`."""
    _reason(body, Action.LOST)
    return await _act(Action.LOST, handoff_id, body, state, actor)
