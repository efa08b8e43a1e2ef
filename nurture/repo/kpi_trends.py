"""The rows behind the KPI trends: each lead's creation, the first moment it reached each
milestone (nurture.repo.sales_reach, the one definition every KPI counts by) and the
won deals (when, how much). Queries only; nurture.rules.trends buckets them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.models import HandoffStatus
from nurture.repo import sales_reach
from nurture.rules.trends import MILESTONES, Milestones
from nurture.tables import Handoff, Lead


def milestones(session: Session, end: datetime | None, campaign: str | None) -> list[Milestones]:
    """The leads created before `end` (all when None), of `campaign` when given."""
    leads = select(Lead.id)
    if end is not None:
        leads = leads.where(col(Lead.created_at) < end)
    if campaign is not None:
        leads = leads.where(Lead.source == campaign)
    firsts = sales_reach.first_reached(session, leads)
    wins: dict[uuid.UUID, list[tuple[datetime, Decimal]]] = defaultdict(list)
    won_event = sales_reach.won_event_times()
    for lead_id, at, amount in session.execute(
        sa.select(
            col(Handoff.lead_id),
            sa.func.coalesce(won_event.c.at, Handoff.closed_at, Handoff.created_at),
            col(Handoff.amount),
        )
        .outerjoin(won_event, won_event.c.handoff_id == Handoff.id)
        .where(col(Handoff.lead_id).in_(leads), col(Handoff.status) == HandoffStatus.WON.value)
    ).all():
        wins[lead_id].append((at, Decimal(amount or 0)))
    rows = session.exec(
        select(Lead.id, Lead.source, Lead.created_at).where(col(Lead.id).in_(leads))
    ).all()
    return [
        Milestones(
            source=source,
            created_at=created_at,
            reached={s: at for s, at in firsts.get(lead_id, {}).items() if s in MILESTONES},
            wins=tuple(sorted(wins.get(lead_id, []))),
        )
        for lead_id, source, created_at in rows
    ]
