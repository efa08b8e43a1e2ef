"""Behaviour events from every door (webhook, CDP, tracked links) handed to their leads.

Each event goes to its lead's workflow by signal-with-start. An event for a halted lead
(its workflow stopped or closed by ops) is parked in the database instead, and the lead is
marked halted: nothing is lost, and no fresh run forgets the lead's history.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.deps import AppState
from nurture.db import session_scope
from nurture.models import BehaviourEvent
from nurture.orchestration import lead_runs
from nurture.repo import lifecycle
from nurture.tables import Lead

log = logging.getLogger(__name__)


UNREACHABLE = "unreachable"  # not a halt: the workflow engine did not answer


async def deliver(
    state: AppState, items: list[tuple[Lead, BehaviourEvent]], *, park_if_unreachable: bool = False
) -> list[str]:
    """Hand every event over; returns the event_ids that were parked.

    With `park_if_unreachable` (a prospect's click: it must redirect whatever happens) an
    event the engine cannot take now is parked too; the worker's reconciler delivers it.
    Otherwise the engine's error propagates (a webhook sender retries on the 503).
    """
    outcomes = await asyncio.gather(
        *(_one(state, lead, event, park_if_unreachable) for lead, event in items)
    )
    parked = [(lead, event, how) for (lead, event), how in zip(items, outcomes, strict=True) if how]
    if parked:
        await run_in_threadpool(_park, state.engine, parked)
    return [event.event_id for _, event, _ in parked]


async def _one(state: AppState, lead: Lead, event: BehaviourEvent, park: bool) -> str | None:
    if lead.halted:  # known halted: never ask Temporal, which may have purged the old run
        return lead.halted
    try:
        await lead_runs.deliver_event(state.client, state.settings, lead, event)
    except lead_runs.LeadHalted as halted:
        return halted.how
    except (RPCError, RuntimeError) as err:
        if not park:
            raise
        log.warning("event for lead %s parked: %s", lead.id, type(err).__name__)
        return UNREACHABLE
    return None


def _park(engine: Engine, parked: list[tuple[Lead, BehaviourEvent, str]]) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for lead, event, how in parked:
            if how == UNREACHABLE:
                lifecycle.park(session, lead.id, event, "the workflow engine was unreachable")
                continue
            lifecycle.mark_halted(session, lead.id, how, now)
            lifecycle.park(session, lead.id, event, f"lead halted: {how}")
