"""A sales action on a handoff, through its workflow: checked, applied once, answered.

Each action is a Temporal update with an ID made of the request (api.action_keys), so a
client repeating a request it got no answer to gets what was recorded, not a 409.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.action_bodies import REASONS, TAKES_AMOUNT
from api.action_keys import action_update_id
from api.deps import Actor, AppState
from api.errors import Conflict, DomainError, Forbidden, Invalid, Unavailable
from api.handoff_views import handoff_out, owned_handoff
from api.schemas import ActionIn, HandoffOut
from nurture.db import session_scope
from nurture.models import CLOSED_HANDOFF, SalesAction
from nurture.repo import handoffs as repo
from nurture.rules.sales_rules import Action
from nurture.tables import Handoff
from workflows.handoff import SalesHandoffWorkflow

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


def _check(action: Action, body: ActionIn) -> None:
    """Each field on the action that takes it, with what that action needs."""
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
    if action in REASONS:
        _reason(body, action)
    if action == Action.WON:
        if body.amount is None:
            message = 'amount is required for a won deal: send {"amount": <revenue>}'
            raise Invalid(message, [{"field": "amount", "problem": "is required"}])
        if body.amount <= 0:
            message = "amount must be greater than 0 for a won deal"
            raise Invalid(message, [{"field": "amount", "problem": "must be greater than 0"}])


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


async def act(
    action: Action, handoff_id: str, body: ActionIn, state: AppState, actor: Actor
) -> HandoffOut:
    """Apply a rep's (or an admin's) action through the handoff's workflow; the new state."""
    _check(action, body)

    def load() -> Handoff:
        with session_scope(state.engine) as session:
            return owned_handoff(session, handoff_id, actor)

    handoff = await run_in_threadpool(load)
    request = SalesAction(
        rep_id=None if actor.is_admin else str(actor.rep_id),
        reason=body.reason,
        note=body.note,
        amount=body.amount,
    )
    update_id = action_update_id(
        handoff_id,
        action.value,
        request.rep_id,
        reason=request.reason,
        note=request.note,
        amount=request.amount,
    )
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
    except WorkflowUpdateFailedError:
        raise Conflict(f"the handoff is closed ({status}); nothing more can be done") from None
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise  # the workflow engine is away: a 503 (api.errors), worth a retry
        raise Conflict(f"the handoff is closed ({status}); nothing more can be done") from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise Unavailable("the workflow engine did not answer in time; try again") from None


def _reread(state: AppState, handoff: Handoff) -> HandoffOut:
    with session_scope(state.engine) as session:
        fresh = repo.get(session, handoff.id)
        return handoff_out(session, fresh or handoff, datetime.now(UTC))
