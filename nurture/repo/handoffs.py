"""Handoffs and their SLA events: written by the handoff workflow, read by reps and KPIs."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from nurture.models import CLOSED_HANDOFF, HandoffRecord, SlaEventKind
from nurture.tables import Handoff, RepAssignment, SlaEvent

OUTCOME_EVENTS = (SlaEventKind.REJECT, SlaEventKind.WON, SlaEventKind.LOST)


def record(session: Session, rec: HandoffRecord) -> None:
    """Apply one handoff change and keep its SLA event (a retried write is not doubled)."""
    rep_id = uuid.UUID(rec.rep_id) if rec.rep_id else None
    lead_id = uuid.UUID(rec.lead_id)
    duplicate = session.exec(
        select(SlaEvent).where(
            SlaEvent.handoff_id == rec.handoff_id,
            SlaEvent.event == rec.event.value,
            SlaEvent.at == rec.at,
        )
    ).first()
    if duplicate is not None:
        return
    handoff = session.get(Handoff, rec.handoff_id)
    if handoff is None:
        handoff = Handoff(id=rec.handoff_id, lead_id=lead_id, created_at=rec.at)
    handoff.status = rec.status.value
    handoff.rep_id = rep_id
    handoff.priority = rec.priority
    handoff.score = rec.score
    handoff.deadline_at = rec.deadline
    handoff.reassignments = rec.reassignments
    if rec.assignment_reason:
        handoff.reason = rec.assignment_reason
    if rec.event == SlaEventKind.ACK:
        handoff.acknowledged_at = rec.at
    if rec.event in OUTCOME_EVENTS:
        handoff.outcome_reason = rec.reason
        handoff.outcome_note = rec.note
    if rec.amount is not None:
        handoff.amount = rec.amount
    if rec.status in CLOSED_HANDOFF:
        handoff.closed_at = rec.at
    session.add(handoff)
    session.add(
        SlaEvent(
            handoff_id=rec.handoff_id,
            lead_id=lead_id,
            rep_id=rep_id,
            at=rec.at,
            event=rec.event.value,  # the text, whatever the driver makes of enums
            detail=rec.detail,
            reason=rec.reason,
            note=rec.note,
            amount=rec.amount,
        )
    )


def get(session: Session, handoff_id: str) -> Handoff | None:
    return session.get(Handoff, handoff_id)


def for_rep(
    session: Session, rep_id: uuid.UUID | None, *, open_only: bool = False
) -> list[Handoff]:
    """A rep's handoffs (every handoff when rep_id is None), newest first."""
    query = select(Handoff)
    if rep_id is not None:
        query = query.where(Handoff.rep_id == rep_id)
    if open_only:
        closed = [s.value for s in CLOSED_HANDOFF]
        query = query.where(col(Handoff.status).not_in(closed))
    return list(session.exec(query.order_by(col(Handoff.created_at).desc())).all())


def events(session: Session, handoff_id: str) -> list[SlaEvent]:
    rows = session.exec(
        select(SlaEvent).where(SlaEvent.handoff_id == handoff_id).order_by(col(SlaEvent.id))
    )
    return list(rows.all())


def was_assigned(session: Session, handoff_id: str, rep_id: uuid.UUID) -> bool:
    """Whether this rep had this handoff at some point (before a reassignment, say)."""
    found = session.exec(
        select(RepAssignment.id).where(
            RepAssignment.handoff_id == handoff_id, RepAssignment.rep_id == rep_id
        )
    ).first()
    return found is not None


def ever_handed_to(session: Session, lead_id: uuid.UUID, rep_id: uuid.UUID) -> bool:
    """Whether any handoff of the lead is, or ever was, assigned to this rep."""
    current = select(Handoff.id).where(Handoff.lead_id == lead_id, Handoff.rep_id == rep_id)
    former = (
        select(RepAssignment.id)
        .join(Handoff, col(Handoff.id) == col(RepAssignment.handoff_id))
        .where(Handoff.lead_id == lead_id, RepAssignment.rep_id == rep_id)
    )
    return (
        session.exec(current.limit(1)).first() is not None
        or session.exec(former.limit(1)).first() is not None
    )
