"""A rep's handoffs as the rep sees them: the read model with the SLA time left."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from api.auth import Actor
from api.database import Database
from api.errors import Forbidden, NotFound
from api.schemas.handoffs import HandoffOut, HandoffPage
from nurture.models import HandoffStatus
from nurture.repo import handoffs as repo
from nurture.repo import leads, reps
from nurture.tables import Handoff
from scenarios.sla import SLA


async def list_handoffs(db: Database, actor: Actor, open_only: bool) -> HandoffPage:
    """The caller's handoffs (an admin sees all), newest first, with the SLA time left."""
    return await db.run(_page, actor, open_only)


async def get_handoff(db: Database, actor: Actor, handoff_id: str) -> HandoffOut:
    return await db.run(_one, actor, handoff_id)


def _page(session: Session, actor: Actor, open_only: bool) -> HandoffPage:
    rows = repo.for_rep(session, None if actor.is_admin else actor.rep_id, open_only=open_only)
    now = datetime.now(UTC)
    return HandoffPage(total=len(rows), items=[handoff_out(session, h, now) for h in rows])


def _one(session: Session, actor: Actor, handoff_id: str) -> HandoffOut:
    return handoff_out(session, owned_handoff(session, handoff_id, actor), datetime.now(UTC))


def owned_handoff(session: Session, handoff_id: str, actor: Actor) -> Handoff:
    """The handoff, when the actor may act on it: its rep, or an admin."""
    handoff = repo.get(session, handoff_id)
    if handoff is None:
        raise NotFound(f"no handoff {handoff_id}")
    if not actor.is_admin and handoff.rep_id != actor.rep_id:
        raise Forbidden("this handoff is not assigned to you")
    return handoff


def handoff_out(session: Session, handoff: Handoff, now: datetime) -> HandoffOut:
    lead = leads.get_lead(session, handoff.lead_id)
    rep = reps.get_rep(session, handoff.rep_id) if handoff.rep_id else None
    running = handoff.status == HandoffStatus.PENDING.value and handoff.deadline_at is not None
    deadline = handoff.deadline_at if running else None
    return HandoffOut(
        id=handoff.id,
        lead_id=handoff.lead_id,
        lead_name=lead.name if lead else "",
        company=lead.company if lead else "",
        score=handoff.score,
        priority=handoff.priority,
        status=handoff.status,
        rep=rep.name if rep else None,
        reason=handoff.reason,
        reassignments=handoff.reassignments,
        created_at=handoff.created_at,
        deadline_at=handoff.deadline_at,
        acknowledged_at=handoff.acknowledged_at,
        overdue=bool(deadline and deadline < now),
        time_left_seconds=int((deadline - now).total_seconds()) if deadline else None,
        business_time_left_seconds=(
            int(SLA.calendar.between(now, deadline).total_seconds()) if deadline else None
        ),
        outcome_reason=handoff.outcome_reason,
        amount=handoff.amount,
    )
