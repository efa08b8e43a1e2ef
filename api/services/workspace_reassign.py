"""A manager moves a handoff of their team to another rep of it, from the /sales team page.

The handoff workflow's `reassign` update does it; the form names the rep the page showed
the handoff with (`from_rep_id`), so a handoff that moved meanwhile is refused, not moved
twice. Every refusal is a DomainError the page shows in words (409 or 422), never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import Session
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.deps import AppState
from api.errors import (
    TEMPORAL_FAILURES,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
    temporal_errors,
)
from api.services.workspace_auth import Viewer
from nurture.models import REASSIGN_UPDATE, HandoffState, HandoffStatus, ReassignRequest
from nurture.repo import handoffs as handoff_repo
from nurture.tables import Handoff, Rep
from workflows.handoff import SalesHandoffWorkflow

REASSIGNABLE = {HandoffStatus.PENDING.value, HandoffStatus.ACCEPTED.value}
MOVED = "the handoff moved on meanwhile (to another rep, or it closed); nothing was changed"
# The workflow's refusals by type: what the page says (the workflow's own words otherwise).
INVALID_TYPES = {"SameRep", "RepUnavailable", "InvalidReason", "InvalidAmount"}


def takes_leads(rep: Rep, now: datetime) -> bool:
    """A rep a handoff may move to: active and not away."""
    return rep.active and (rep.away_until is None or rep.away_until <= now)


def manager_label(secret: str, who: Viewer) -> str:
    """Who asked, for the handoff's history: the manager's rep ID, else an HMAC of the
    address under the secret key (opaque, and not guessable from a list of addresses)."""
    if who.rep is not None:
        return f"manager:{who.rep.id}"
    mac = hmac.new(secret.encode(), f"sales-manager:{who.email}".encode(), hashlib.sha256)
    return "manager:" + mac.hexdigest()[:16]


def _reassignable(
    session: Session, who: Viewer, handoff_id: str, to_rep_id: str, from_rep_id: str, now: datetime
) -> Handoff:
    h = handoff_repo.get(session, handoff_id)
    if h is None:
        raise NotFound("no such handoff")
    team = {r.id: r for r in who.team}
    if h.rep_id not in team:
        raise Forbidden("this handoff's rep is not in your team")
    try:
        target: Rep | None = team.get(uuid.UUID(to_rep_id))
    except ValueError:
        target = None
    if target is None or not takes_leads(target, now):
        raise Invalid("choose an active rep of your team who is not away")
    if from_rep_id and from_rep_id != str(h.rep_id):
        raise Conflict(MOVED + ": reload the page")
    if target.id == h.rep_id:
        raise Invalid("the handoff is with that rep already")
    if h.status not in REASSIGNABLE:
        raise Conflict("only a handoff waiting for acknowledgement or acknowledged can move")
    return h


def reassign_update_id(handoff: Handoff, to_rep_id: str, by: str, note: str) -> str:
    """One ID per reassignment asked: the same form sent twice moves the handoff once."""
    digest = hashlib.sha256(f"{by}\n{note}".encode()).hexdigest()[:16]
    return f"{handoff.id}:reassign:{handoff.reassignments}:{handoff.rep_id}:{to_rep_id}:{digest}"


def refusal(err: WorkflowUpdateFailedError) -> DomainError:
    """The workflow's refusal of a move as the page says it."""
    cause = err.cause
    if not isinstance(cause, ApplicationError):
        return Conflict("the handoff's workflow could not move it; nothing was changed")
    if cause.type in INVALID_TYPES:
        return Invalid(cause.message)
    if cause.type == "OutOfOrder":
        return Conflict(f"{cause.message}; nothing was changed: reload the page")
    return Conflict(f"the move was refused: {cause.message}; nothing was changed")


async def reassign(
    state: AppState, who: Viewer, handoff_id: str, to_rep_id: str, note: str, from_rep_id: str
) -> HandoffState:
    """A manager moves a handoff of their team to another rep of it who takes leads now;
    `from_rep_id` is the rep the page showed it with (empty: the read model's)."""
    now = datetime.now(UTC)
    handoff = await state.db.run(_reassignable, who, handoff_id, to_rep_id, from_rep_id, now)
    by = manager_label(state.settings.secret_key.get_secret_value(), who)
    request = ReassignRequest(
        to_rep_id=to_rep_id,
        from_rep_id=from_rep_id or str(handoff.rep_id),
        by=by,
        note=note,
    )
    handle = state.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff_id)
    wait = timedelta(seconds=state.settings.intake_wait_seconds)
    closed = Conflict("the handoff is closed; it cannot move")
    no_worker = Unavailable("no worker answered; nothing was changed: try again")
    unconfirmed = Unavailable("the worker did not confirm in time; it may still move: try again")
    engine_trouble = Unavailable("the workflow engine could not take the move now: try again")
    try:
        with temporal_errors(gone=closed, no_answer=no_worker):
            await handle.query(SalesHandoffWorkflow.state, rpc_timeout=wait)
        with temporal_errors(gone=closed, no_answer=unconfirmed):
            # By name: the typed method of an update declared with a name types badly in
            # the SDK (its result reads as a coroutine), and the name is the contract.
            moved: HandoffState = await handle.execute_update(
                REASSIGN_UPDATE,
                request,
                result_type=HandoffState,
                id=reassign_update_id(handoff, to_rep_id, by, note),
                rpc_timeout=wait,
            )
            return moved
    except WorkflowUpdateFailedError as err:
        raise refusal(err) from None
    except TEMPORAL_FAILURES:  # what temporal_errors leaves unmapped: still a page
        raise engine_trouble from None
