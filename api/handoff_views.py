"""What a handoff looks like to its rep: the read model with the SLA time left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.errors import Forbidden, NotFound
from api.schemas import HandoffOut
from nurture.models import HandoffStatus
from nurture.repo import handoffs as repo
from nurture.repo import leads, reps
from nurture.tables import Handoff
from scenarios.sla import SLA


def handoff_out(session: Any, handoff: Handoff, now: datetime) -> HandoffOut:
    lead = leads.get_lead(session, handoff.lead_id)
    rep = reps.get_rep(session, handoff.rep_id) if handoff.rep_id else None
    running = handoff.status == HandoffStatus.PENDING.value and handoff.deadline_at is not None
    deadline = handoff.deadline_at
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
        deadline_at=deadline,
        acknowledged_at=handoff.acknowledged_at,
        overdue=bool(running and deadline and deadline < now),
        time_left_seconds=int((deadline - now).total_seconds()) if running and deadline else None,
        business_time_left_seconds=int(SLA.calendar.between(now, deadline).total_seconds())
        if running and deadline
        else None,
        outcome_reason=handoff.outcome_reason,
        amount=handoff.amount,
    )


def owned_handoff(session: Any, handoff_id: str, actor: Any) -> Handoff:
    handoff = repo.get(session, handoff_id)
    if handoff is None:
        raise NotFound(f"no handoff {handoff_id}")
    if not actor.is_admin and handoff.rep_id != actor.rep_id:
        raise Forbidden("this handoff is not assigned to you")
    return handoff
