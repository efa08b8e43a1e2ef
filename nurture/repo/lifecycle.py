"""Whether each lead's workflow runs: started, halted by ops, and the events parked meanwhile.

A lead row whose workflow was never started (an intake that could not reach Temporal) is
found and started by the worker's reconciler. A lead whose workflow was closed by ops
(terminated, cancelled, stopped) is *halted*: shown as such, its events kept here, not
applied, until `nurture leads resume`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.models import BehaviourEvent
from nurture.tables import Lead, ParkedEvent, TimelineNote, utcnow

HALT_TEXT = {
    "stopped": "stopped by ops (nurture leads stop)",
    "terminated": "its workflow was terminated in Temporal",
    "canceled": "its workflow was cancelled in Temporal",
    "failed": "its workflow failed",
    "timed_out": "its workflow timed out",
    "closed": "its workflow was closed",
}


def mark_started(session: Session, lead_id: uuid.UUID, at: datetime) -> None:
    session.exec(
        sa.update(Lead)
        .where(col(Lead.id) == lead_id, col(Lead.workflow_started_at).is_(None))
        .values(workflow_started_at=at)
    )


def mark_halted(session: Session, lead_id: uuid.UUID, how: str, at: datetime) -> bool:
    """Record that the lead's workflow no longer runs; True when this is news."""
    lead = session.get(Lead, lead_id)
    if lead is None or lead.halted == how:
        return False
    lead.halted, lead.halted_at = how, at
    lead.workflow_started_at = lead.workflow_started_at or lead.created_at
    session.add(lead)
    text = HALT_TEXT.get(how, how)
    session.add(
        TimelineNote(
            lead_id=lead_id,
            at=at,
            kind="halted",
            text=f"halted: {text}; new events are parked until `nurture leads resume {lead_id}`",
        )
    )
    return True


def clear_halt(session: Session, lead_id: uuid.UUID, at: datetime, text: str) -> None:
    lead = session.get(Lead, lead_id)
    if lead is None:
        return
    lead.halted, lead.halted_at = None, None
    session.add(lead)
    session.add(TimelineNote(lead_id=lead_id, at=at, kind="resumed", text=text))


def park(session: Session, lead_id: uuid.UUID, event: BehaviourEvent, reason: str) -> bool:
    """Keep an event for a halted lead; the same event_id twice is kept once."""
    exists = session.exec(
        select(ParkedEvent.id).where(
            ParkedEvent.lead_id == lead_id, ParkedEvent.event_id == event.event_id
        )
    ).first()
    if exists is not None:
        return False
    session.add(
        ParkedEvent(
            lead_id=lead_id,
            event_id=event.event_id,
            event=event.model_dump(mode="json"),
            parked_at=utcnow(),
            reason=reason,
        )
    )
    return True


def parked(session: Session, lead_id: uuid.UUID) -> list[ParkedEvent]:
    """Events kept for the lead and not yet handed to its workflow, oldest first."""
    rows = session.exec(
        select(ParkedEvent)
        .where(ParkedEvent.lead_id == lead_id, col(ParkedEvent.delivered_at).is_(None))
        .order_by(col(ParkedEvent.id))
    )
    return list(rows.all())


def count_parked(session: Session, lead_id: uuid.UUID) -> int:
    query = select(sa.func.count()).where(
        ParkedEvent.lead_id == lead_id, col(ParkedEvent.delivered_at).is_(None)
    )
    return int(session.exec(query).one())


def mark_delivered(session: Session, ids: list[int], at: datetime) -> None:
    if ids:
        session.exec(
            sa.update(ParkedEvent).where(col(ParkedEvent.id).in_(ids)).values(delivered_at=at)
        )


def unstarted(session: Session, before: datetime, limit: int = 500) -> list[Lead]:
    """Leads stored before `before` whose workflow is not known to exist."""
    rows = session.exec(
        select(Lead)
        .where(
            col(Lead.workflow_started_at).is_(None),
            col(Lead.halted).is_(None),
            col(Lead.created_at) < before,
        )
        .order_by(col(Lead.created_at))
        .limit(limit)
    )
    return list(rows.all())


def parked_for_running(session: Session, limit: int = 500) -> list[tuple[Lead, ParkedEvent]]:
    """Events parked while the engine was unreachable, of leads that are not halted."""
    rows = session.exec(
        select(Lead, ParkedEvent)
        .join(ParkedEvent, col(ParkedEvent.lead_id) == col(Lead.id))
        .where(col(ParkedEvent.delivered_at).is_(None), col(Lead.halted).is_(None))
        .order_by(col(ParkedEvent.id))
        .limit(limit)
    )
    return [(lead, event) for lead, event in rows.all()]
