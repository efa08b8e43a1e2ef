"""A sales action on a handoff, through its workflow: checked, applied once, answered.

Each action is a Temporal update with an ID made of the request (api.services.action_keys),
so a client repeating a request it got no answer to gets what was recorded, not a 409.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session
from temporalio.client import WorkflowHandle

from api.auth import Actor
from api.deps import AppState
from api.errors import Conflict, Invalid, Unavailable, temporal_errors
from api.schemas.handoffs import ActionIn, HandoffOut
from api.services.action_keys import action_update_id
from api.services.handoffs import handoff_out, owned_handoff
from nurture.models import CLOSED_HANDOFF, SalesAction
from nurture.repo import handoffs as repo
from nurture.rules.sales_rules import Action, body_problem
from nurture.tables import Handoff
from scenarios.sla import SLA
from workflows.handoff import SalesHandoffWorkflow

UPDATES: dict[Action, Any] = {
    Action.ACK: SalesHandoffWorkflow.ack,
    Action.REJECT: SalesHandoffWorkflow.reject,
    Action.OPPORTUNITY: SalesHandoffWorkflow.opportunity,
    Action.WON: SalesHandoffWorkflow.won,
    Action.LOST: SalesHandoffWorkflow.lost,
}
CLOSED = "the handoff is closed; nothing more can be done"


async def act(
    state: AppState,
    actor: Actor,
    action: Action,
    handoff_id: str,
    body: ActionIn,
    via: str = "api",
) -> HandoffOut:
    """Apply a rep's (or an admin's) action through the handoff's workflow; the new state.

    The body is checked first, against the rule the workflow's validators hold too
    (nurture.rules.sales_rules.body_problem): a misplaced or missing field is a 422 naming
    it, before any lookup and whether or not a worker runs.
    """
    problem = body_problem(action, body.reason, body.amount, SLA)
    if problem is not None:
        raise Invalid(problem.message, [{"field": problem.field, "problem": problem.problem}])
    handoff = await state.db.run(owned_handoff, handoff_id, actor)
    request = SalesAction(
        rep_id=None if actor.is_admin else str(actor.rep_id),
        reason=body.reason,
        note=body.note,
        amount=body.amount,
        via=via,
    )
    update_id = action_update_id(
        handoff_id,
        action.value,
        request.rep_id,
        reason=request.reason,
        note=request.note,
        amount=request.amount,
        via=via,
    )
    handle = state.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff_id)
    wait = timedelta(seconds=state.settings.intake_wait_seconds)
    seconds = f"{wait.total_seconds():g} s"
    if handoff.status in {s.value for s in CLOSED_HANDOFF}:
        await _recorded_before(handle, action, update_id, wait, handoff.status)
        return await state.db.run(_reread, handoff)
    # An update the server holds while no worker runs is applied whenever one comes back,
    # long after we answered. So first make sure a worker answers at all.
    no_worker = Unavailable(
        f"no worker answered within {seconds}; the {action.value} was not recorded: "
        "try again (the same request is safe to repeat)"
    )
    with temporal_errors(gone=Conflict(CLOSED), no_answer=no_worker):
        await handle.query(SalesHandoffWorkflow.state, rpc_timeout=wait)
    # A worker answered a moment ago, so it may still take the action: say so.
    unconfirmed = Unavailable(
        f"the worker did not confirm the {action.value} within {seconds}; it may still be "
        "recorded: repeat the same request, which is safe (it answers what was recorded and "
        "never acts twice)"
    )
    with temporal_errors(gone=Conflict(CLOSED), no_answer=unconfirmed):
        # The update ID makes a retry of this very request return what the first recorded.
        await handle.execute_update(UPDATES[action], request, id=update_id, rpc_timeout=wait)
    return await state.db.run(_reread, handoff)


async def _recorded_before(
    handle: WorkflowHandle[Any, Any], action: Action, update_id: str, wait: timedelta, status: str
) -> None:
    """Return when this very request was recorded before (a retry); else 409.

    The server keeps each update's outcome with the workflow's history, so this needs no
    worker and works after the handoff has ended.
    """
    closed = Conflict(f"the handoff is closed ({status}); nothing more can be done")
    with temporal_errors(gone=closed, refused=closed):
        await handle.get_update_handle_for(UPDATES[action], update_id).result(rpc_timeout=wait)


def _reread(session: Session, handoff: Handoff) -> HandoffOut:
    fresh = repo.get(session, handoff.id)
    return handoff_out(session, fresh or handoff, datetime.now(UTC))
