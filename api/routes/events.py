"""The behaviour webhook: signed events in, durably handed to each lead's workflow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import TypeAdapter
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api import event_delivery
from api.deps import SignedBody, StateDep
from api.errors import NotFound
from api.lead_cache import LeadCache
from api.openapi_docs import json_body
from api.parsing import parse_one_or_many
from api.responses import errors
from api.schemas import EventAccepted, EventIn, EventsAccepted, events_body
from nurture.db import session_scope
from nurture.models import BehaviourEvent
from nurture.repo import leads as repo
from nurture.tables import Lead

router = APIRouter(prefix="/v1/events", tags=["events"])
_events_in = TypeAdapter(EventIn | list[EventIn])
MAX_EVENTS_PER_REQUEST = 1000


def _lookup(cache: LeadCache, events: list[EventIn]) -> dict[int, Lead] | None:
    """The lead of each event (by index) from the cache; None when one must be looked up."""
    found: dict[int, Lead] = {}
    for index, event in enumerate(events):
        email = repo.normalise_email(str(event.email)) if event.lead_id is None else None
        lead = cache.get(event.lead_id, email)
        if lead is None:
            return None
        found[index] = lead
    return found


def _load(engine: Engine, cache: LeadCache, events: list[EventIn]) -> dict[int, Lead]:
    """The lead of each event (by index); every unknown lead is reported at once."""
    ids = {e.lead_id for e in events if e.lead_id is not None}
    emails = {repo.normalise_email(e.email) for e in events if e.lead_id is None and e.email}
    with session_scope(engine) as session:
        rows = repo.leads_by_ids_or_emails(session, ids, emails)
    for row in rows:
        cache.put(row)
    by_id = {row.id: row for row in rows}
    by_email = {row.email: row for row in rows}
    found: dict[int, Lead] = {}
    unknown: list[dict[str, str]] = []
    for index, event in enumerate(events):
        if event.lead_id is not None:
            lead = by_id.get(event.lead_id)
            field, who = "lead_id", f"lead_id {event.lead_id}"
        else:
            lead = by_email.get(repo.normalise_email(str(event.email)))
            field, who = "email", "the given email"
        if lead is None:
            unknown.append({"field": f"events[{index}].{field}", "problem": f"no lead with {who}"})
        else:
            found[index] = lead
    if unknown:
        raise NotFound(
            f"{len(unknown)} event(s) name an unknown lead; nothing was accepted", unknown
        )
    return found


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
    cached = _lookup(state.leads, events)
    leads = (
        cached
        if cached is not None
        else await run_in_threadpool(_load, state.engine, state.leads, events)
    )
    now = datetime.now(UTC)
    parked = await event_delivery.deliver(
        state,
        [
            (
                leads[i],
                BehaviourEvent(
                    event_id=e.event_id,
                    type=e.type.value,
                    occurred_at=e.occurred_at or now,
                    properties=e.properties,
                ),
            )
            for i, e in enumerate(events)
        ],
    )
    return EventsAccepted(
        accepted=len(events),
        events=[
            EventAccepted(event_id=e.event_id, lead_id=uuid.UUID(str(leads[i].id)))
            for i, e in enumerate(events)
        ],
        parked=parked,
    )
