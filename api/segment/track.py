"""`track` and `page` calls: behaviour events of leads identified before, delivered on the
same path as the webhook's (api.services.events.deliver), messageId as event_id."""

from __future__ import annotations

from pydantic import ValidationError

from api.deps import AppState
from api.schemas.events import EventIn
from api.schemas.segment import MessageResult, SegmentMessage
from api.segment.leads import LeadKeys, find_leads, keys_of
from api.segment.results import PARKED, rejected, result
from api.segment.spec import event_properties, event_type_of
from api.services.events import Behaviour, deliver
from nurture.models import EventType
from nurture.validation import describe_validation


async def track(state: AppState, messages: dict[int, SegmentMessage]) -> dict[int, MessageResult]:
    """The outcome of each track or page call (by its index in the request)."""
    out: dict[int, MessageResult] = {}
    wanted: dict[int, tuple[EventType, LeadKeys]] = {}
    for i, m in messages.items():
        if not m.message_id:
            out[i] = rejected(i, m, "messageId is required: it de-duplicates retried messages")
            continue
        try:
            event_type, why = event_type_of(m)
            named = keys_of(m)
        except ValueError as err:
            out[i] = rejected(i, m, str(err))
            continue
        if event_type is None:
            out[i] = result(i, m, status="ignored", reason=why)
            continue
        wanted[i] = (event_type, named)
    keys = [k for _, k in wanted.values()]
    leads = await state.db.run(find_leads, keys) if keys else []
    behaviours: list[Behaviour] = []
    index_of: dict[str, int] = {}
    for (i, (event_type, _)), lead in zip(wanted.items(), leads, strict=True):
        m = messages[i]
        if lead is None:
            why = "no lead known by this email, lead_id, userId or anonymousId: identify it first"
            out[i] = result(i, m, status="ignored", event_type=event_type.value, reason=why)
            continue
        try:  # held to the webhook's rules (the id's length, the size of the properties)
            event = EventIn(
                event_id=m.message_id or "",
                lead_id=lead.id,
                type=event_type,
                occurred_at=m.occurred_at,
                properties=event_properties(m, event_type),
            )
        except ValidationError as err:
            out[i] = rejected(i, m, describe_validation(list(err.errors()))[0])
            continue
        behaviours.append(
            Behaviour(lead, event.event_id, event.type, event.occurred_at, event.properties)
        )
        index_of[event.event_id] = i
        out[i] = result(i, m, status="accepted", lead_id=lead.id, event_type=event_type.value)
    for event_id in await deliver(state, behaviours):
        out[index_of[event_id]].reason = PARKED
    return out
