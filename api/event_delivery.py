"""Behaviour events from every door (webhook, CDP, tracked links) handed to their leads.

Each event goes to its lead's workflow by signal-with-start. An event for a halted lead
(its workflow stopped or closed by ops) is parked in the database instead, and the lead is
marked halted: nothing is lost, and no fresh run forgets the lead's history.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api.deps import AppState
from nurture import lead_runs
from nurture.db import session_scope
from nurture.repo import lifecycle
from nurture.tables import Lead
from workflows.models import BehaviourEvent


async def deliver(state: AppState, items: list[tuple[Lead, BehaviourEvent]]) -> list[str]:
    """Hand every event over; returns the event_ids that were parked."""
    outcomes = await asyncio.gather(*(_one(state, lead, event) for lead, event in items))
    halted = [(lead, event, how) for (lead, event), how in zip(items, outcomes, strict=True) if how]
    if halted:
        await run_in_threadpool(_park, state.engine, halted)
    return [event.event_id for _, event, _ in halted]


async def _one(state: AppState, lead: Lead, event: BehaviourEvent) -> str | None:
    try:
        await lead_runs.deliver_event(state.client, state.settings, lead, event)
    except lead_runs.LeadHalted as halted:
        return halted.how
    return None


def _park(engine: Engine, halted: list[tuple[Lead, BehaviourEvent, str]]) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for lead, event, how in halted:
            lifecycle.mark_halted(session, lead.id, how, now)
            lifecycle.park(session, lead.id, event, f"lead halted: {how}")
