"""Sales endpoints: a rep's handoffs with the SLA time left, and the actions on them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.action_bodies import ActionBody, documented
from api.deps import ActorDep, SessionDep, StateDep
from api.handoff_views import handoff_out, owned_handoff
from api.responses import errors
from api.sales_actions import act
from api.schemas import HandoffOut, HandoffPage
from nurture.repo import handoffs as repo
from nurture.rules.sales_rules import Action

router = APIRouter(prefix="/v1/handoffs", tags=["handoffs"])


@router.get("", response_model=HandoffPage, responses=errors(401, 422))
def list_handoffs(
    session: SessionDep,
    actor: ActorDep,
    open_only: Annotated[bool, Query(alias="open")] = False,
) -> HandoffPage:
    """The caller's handoffs (an admin sees all), newest first, with the SLA time left."""
    rows = repo.for_rep(session, None if actor.is_admin else actor.rep_id, open_only=open_only)
    now = datetime.now(UTC)
    return HandoffPage(total=len(rows), items=[handoff_out(session, h, now) for h in rows])


@router.get(
    "/{handoff_id}",
    response_model=HandoffOut,
    responses=errors(401, 403, 422, e404="no such handoff"),
)
def get_handoff(handoff_id: str, session: SessionDep, actor: ActorDep) -> HandoffOut:
    handoff = owned_handoff(session, handoff_id, actor)
    return handoff_out(session, handoff, datetime.now(UTC))


Endpoint = Callable[..., Awaitable[HandoffOut]]
ACTION_RESPONSES = errors(
    400,
    401,
    413,
    422,
    e403="the handoff is another rep's",
    e404="no such handoff",
    e409="the action is out of order, or the handoff is closed (a repeat of the very "
    "request that closed it answers 200 with the recorded state)",
    e503="no worker answered or confirmed in time; repeating the same request is safe: "
    "it answers what was recorded and never acts twice",
)


def _action_route(action: Action) -> Callable[[Endpoint], Endpoint]:
    return router.post(
        f"/{{handoff_id}}/{action.value}",
        response_model=HandoffOut,
        responses=ACTION_RESPONSES,
        openapi_extra=documented(action),
    )


@_action_route(Action.ACK)
async def ack(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Acknowledge the lead: stops the SLA clock. Optional `note`."""
    return await act(Action.ACK, handoff_id, body, state, actor)


@_action_route(Action.REJECT)
async def reject(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Send the lead back to marketing: `reason` from the SLA's list, optional `note`."""
    return await act(Action.REJECT, handoff_id, body, state, actor)


@_action_route(Action.OPPORTUNITY)
async def opportunity(
    handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody
) -> HandoffOut:
    """Record a valid opportunity: optional `amount` (expected revenue) and `note`."""
    return await act(Action.OPPORTUNITY, handoff_id, body, state, actor)


@_action_route(Action.WON)
async def won(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Record the deal as won: `amount` (revenue) is required, `note` optional."""
    return await act(Action.WON, handoff_id, body, state, actor)


@_action_route(Action.LOST)
async def lost(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Record the deal as lost: `reason` from the SLA's list, optional `note`."""
    return await act(Action.LOST, handoff_id, body, state, actor)
