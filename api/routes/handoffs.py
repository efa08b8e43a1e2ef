"""Sales endpoints: a rep's handoffs with the SLA time left, and the actions on them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import TypeAdapter

from api.auth import ActorDep
from api.deps import DbDep, StateDep
from api.parsing import parse, read_body
from api.responses import errors
from api.schemas.handoffs import ActionIn, HandoffOut, HandoffPage, action_body
from api.services import handoffs as service
from api.services.sales_actions import act
from nurture.rules.sales_rules import Action

router = APIRouter(prefix="/v1/handoffs", tags=["handoffs"])
_action_in = TypeAdapter(ActionIn)


async def action_in(request: Request) -> ActionIn:
    """The body as an `ActionIn`; no body at all is an empty one."""
    raw = await read_body(request)
    return ActionIn() if not raw.strip() else parse(_action_in, raw)


ActionBody = Annotated[ActionIn, Depends(action_in)]


@router.get("", response_model=HandoffPage, responses=errors(401, 422))
async def list_handoffs(
    db: DbDep,
    actor: ActorDep,
    open_only: Annotated[bool, Query(alias="open")] = False,
) -> HandoffPage:
    """The caller's handoffs (an admin sees all), newest first, with the SLA time left."""
    return await service.list_handoffs(db, actor, open_only)


@router.get(
    "/{handoff_id}",
    response_model=HandoffOut,
    responses=errors(401, 403, 422, e404="no such handoff"),
)
async def get_handoff(handoff_id: str, db: DbDep, actor: ActorDep) -> HandoffOut:
    return await service.get_handoff(db, actor, handoff_id)


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
        openapi_extra=action_body(action),
    )


@_action_route(Action.ACK)
async def ack(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Acknowledge the lead: stops the SLA clock. Optional `note`."""
    return await act(state, actor, Action.ACK, handoff_id, body)


@_action_route(Action.REJECT)
async def reject(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Send the lead back to marketing: `reason` from the SLA's list, optional `note`."""
    return await act(state, actor, Action.REJECT, handoff_id, body)


@_action_route(Action.OPPORTUNITY)
async def opportunity(
    handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody
) -> HandoffOut:
    """Record a valid opportunity: optional `amount` (expected revenue) and `note`."""
    return await act(state, actor, Action.OPPORTUNITY, handoff_id, body)


@_action_route(Action.WON)
async def won(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Record the deal as won: `amount` (revenue) is required, `note` optional."""
    return await act(state, actor, Action.WON, handoff_id, body)


@_action_route(Action.LOST)
async def lost(handoff_id: str, state: StateDep, actor: ActorDep, body: ActionBody) -> HandoffOut:
    """Record the deal as lost: `reason` from the SLA's list, optional `note`."""
    return await act(state, actor, Action.LOST, handoff_id, body)
