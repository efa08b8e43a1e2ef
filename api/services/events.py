"""Behaviour events from every door (webhook, CDP, tracked links) handed to their leads.

`deliver` is the one place a `BehaviourEvent` is built and sent: each goes to its lead's
workflow by signal-with-start. An event for a halted lead (its workflow stopped or closed
by ops) is parked in the database instead, and the lead is marked halted: nothing is lost,
and no fresh run forgets the lead's history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session
from temporalio.service import RPCError

from api.deps import AppState
from api.errors import NotFound
from api.schemas.events import EventIn
from api.services.lead_cache import LeadCache
from nurture.models import BehaviourEvent, EventType
from nurture.orchestration import lead_runs
from nurture.repo import leads as repo
from nurture.repo import lifecycle
from nurture.tables import Lead

log = logging.getLogger(__name__)
UNREACHABLE = "unreachable"  # not a halt: the workflow engine did not answer


@dataclass(frozen=True)
class Behaviour:
    """Something a lead did, from whichever door it came in."""

    lead: Lead
    event_id: str  # de-duplicates: the same id twice counts once
    type: EventType
    occurred_at: datetime | None = None  # None: now
    properties: dict[str, Any] = field(default_factory=dict)


async def deliver(
    state: AppState, behaviours: Sequence[Behaviour], *, park_if_unreachable: bool = False
) -> list[str]:
    """Hand every event over; returns the event_ids that were parked.

    With `park_if_unreachable` (a prospect's click: it must redirect whatever happens) an
    event the engine cannot take now is parked too; the worker's reconciler delivers it.
    Otherwise the engine's error propagates (a webhook sender retries on the 503).
    """
    now = datetime.now(UTC)
    items = [
        (
            b.lead,
            BehaviourEvent(
                event_id=b.event_id,
                type=b.type.value,
                occurred_at=b.occurred_at or now,
                properties=b.properties,
            ),
        )
        for b in behaviours
    ]
    outcomes = await asyncio.gather(
        *(_one(state, lead, event, park_if_unreachable) for lead, event in items)
    )
    parked = [(lead, event, how) for (lead, event), how in zip(items, outcomes, strict=True) if how]
    if parked:
        await state.db.run(_park, parked, now)
    return [event.event_id for _, event, _ in parked]


async def _one(state: AppState, lead: Lead, event: BehaviourEvent, park: bool) -> str | None:
    if lead.halted:  # known halted: never ask Temporal, which may have purged the old run
        return lead.halted
    try:
        await lead_runs.deliver_event(state.client, state.settings, lead, event)
    except lead_runs.LeadHalted as halted:
        return halted.how
    except (RPCError, RuntimeError) as err:  # the engine is away (api.errors.from_temporal)
        if not park:
            raise
        log.warning("event for lead %s parked: %s", lead.id, type(err).__name__)
        return UNREACHABLE
    return None


def _park(session: Session, parked: list[tuple[Lead, BehaviourEvent, str]], now: datetime) -> None:
    for lead, event, how in parked:
        if how == UNREACHABLE:
            lifecycle.park(session, lead.id, event, "the workflow engine was unreachable")
            continue
        lifecycle.mark_halted(session, lead.id, how, now)
        lifecycle.park(session, lead.id, event, f"lead halted: {how}")


@dataclass(frozen=True)
class Accepted:
    leads: list[Lead]  # the lead of each event, in order
    parked: list[str]


async def accept(state: AppState, events: list[EventIn]) -> Accepted:
    """The webhook's events, each handed to its lead; every unknown lead is reported at once
    and then nothing of the batch is taken (404)."""
    leads = _cached(state.leads, events)
    if leads is None:
        ids = {e.lead_id for e in events if e.lead_id is not None}
        emails = {repo.normalise_email(e.email) for e in events if e.lead_id is None and e.email}
        rows = await state.db.run(repo.leads_by_ids_or_emails, ids, emails)
        for row in rows:
            state.leads.put(row)
        leads = _match(events, rows)
    parked = await deliver(
        state,
        [
            Behaviour(lead, e.event_id, e.type, e.occurred_at, e.properties)
            for lead, e in zip(leads, events, strict=True)
        ],
    )
    return Accepted(leads=leads, parked=parked)


def _cached(cache: LeadCache, events: list[EventIn]) -> list[Lead] | None:
    """The lead of each event from the cache; None when one must be looked up."""
    found: list[Lead] = []
    for event in events:
        email = repo.normalise_email(str(event.email)) if event.lead_id is None else None
        lead = cache.get(event.lead_id, email)
        if lead is None:
            return None
        found.append(lead)
    return found


def _match(events: list[EventIn], rows: list[Lead]) -> list[Lead]:
    by_id = {row.id: row for row in rows}
    by_email = {row.email: row for row in rows}
    found: list[Lead] = []
    unknown: list[dict[str, str]] = []
    for index, event in enumerate(events):
        if event.lead_id is not None:
            lead = by_id.get(event.lead_id)
            field_name, who = "lead_id", f"lead_id {event.lead_id}"
        else:
            lead = by_email.get(repo.normalise_email(str(event.email)))
            field_name, who = "email", "the given email"
        if lead is None:
            unknown.append(
                {"field": f"events[{index}].{field_name}", "problem": f"no lead with {who}"}
            )
        else:
            found.append(lead)
    if unknown:
        raise NotFound(
            f"{len(unknown)} event(s) name an unknown lead; nothing was accepted", unknown
        )
    return found
