"""The behaviour webhook: signed events in, durably handed to each lead's workflow."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import TypeAdapter

from api.auth import SignedBody
from api.deps import StateDep
from api.openapi_docs import json_body
from api.parsing import parse_one_or_many
from api.responses import errors
from api.schemas.events import (
    MAX_EVENTS_PER_REQUEST,
    EventAccepted,
    EventIn,
    EventsAccepted,
    events_body,
)
from api.services import events as service

router = APIRouter(prefix="/v1/events", tags=["events"])
_events_in = TypeAdapter(EventIn | list[EventIn])


@router.post(
    "",
    response_model=EventsAccepted,
    status_code=202,
    responses=errors(400, 401, 413, 422, e404="an event names an unknown lead: none was taken"),
    openapi_extra=json_body(
        events_body(MAX_EVENTS_PER_REQUEST), description="one event, or a list of up to 1,000"
    ),
)
async def post_events(body: SignedBody, state: StateDep) -> EventsAccepted:
    """Accept one event or a list; 202 once each is durably handed to its lead's workflow.

    The same `event_id` sent again is accepted and changes nothing. Events for a halted lead
    (its workflow stopped or closed by ops) are kept and listed in `parked`.
    """
    events = parse_one_or_many(_events_in, EventIn, body, noun="event", most=MAX_EVENTS_PER_REQUEST)
    accepted = await service.accept(state, events)
    return EventsAccepted(
        accepted=len(events),
        events=[
            EventAccepted(event_id=e.event_id, lead_id=uuid.UUID(str(lead.id)))
            for e, lead in zip(events, accepted.leads, strict=True)
        ],
        parked=accepted.parked,
    )
