"""What the /sales workspace reads: a manager's team, their handoffs, and the lead behind
each (its last activity, the mails marketing sent it). A person's own rep row is
nurture.repo.reps.rep_by_email."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from nurture.models import CLOSED_HANDOFF, SlaEventKind
from nurture.tables import EmailMessage, Handoff, Lead, LeadEvent, Rep, SlaEvent

CLOSED = [s.value for s in CLOSED_HANDOFF]
ESCALATED = [SlaEventKind.REMINDER.value, SlaEventKind.ESCALATION.value]


def team_of(session: Session, manager_email: str) -> list[Rep]:
    """The reps whose manager this address is (active or not), by name."""
    query = select(Rep).where(Rep.manager_email == manager_email.strip().lower())
    return list(session.exec(query.order_by(col(Rep.name))).all())


def handoffs_of(session: Session, rep_ids: Sequence[uuid.UUID], *, open_: bool) -> list[Handoff]:
    """The open (or the closed) handoffs of these reps, newest first."""
    if not rep_ids:
        return []
    query = select(Handoff).where(col(Handoff.rep_id).in_(list(rep_ids)))
    status = col(Handoff.status)
    query = query.where(status.not_in(CLOSED) if open_ else status.in_(CLOSED))
    return list(session.exec(query.order_by(col(Handoff.created_at).desc())).all())


def leads_by_id(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Lead]:
    if not ids:
        return {}
    rows = session.exec(select(Lead).where(col(Lead.id).in_(list(set(ids)))))
    return {lead.id: lead for lead in rows}


def last_events(session: Session, lead_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, LeadEvent]:
    """Each lead's most recent behaviour event."""
    if not lead_ids:
        return {}
    rows = session.exec(
        select(LeadEvent)
        .where(col(LeadEvent.lead_id).in_(list(set(lead_ids))))
        .order_by(col(LeadEvent.applied_at))
    )
    return {ev.lead_id: ev for ev in rows}  # the latest wins


def escalated(session: Session, handoff_ids: Sequence[str]) -> set[str]:
    """Handoffs whose rep was reminded of a missed deadline or whose manager was told."""
    if not handoff_ids:
        return set()
    rows = session.exec(
        select(SlaEvent.handoff_id).where(
            col(SlaEvent.handoff_id).in_(list(handoff_ids)), col(SlaEvent.event).in_(ESCALATED)
        )
    )
    return set(rows.all())


def marketing_mails(session: Session, lead_id: uuid.UUID) -> list[EmailMessage]:
    """The nurture mails that went out to the lead, oldest first."""
    rows = session.exec(
        select(EmailMessage)
        .where(
            EmailMessage.lead_id == lead_id,
            EmailMessage.kind == "nurture",
            EmailMessage.status == "sent",
        )
        .order_by(col(EmailMessage.scheduled_at))
    )
    return list(rows.all())
