"""The rows behind the KPI trends: each lead's creation, the first moment it reached each
milestone (nurture.repo.sales_reach, the one definition every KPI counts by) and the
revenue of its won deals. Queries only; nurture.rules.trends buckets them."""

from __future__ import annotations

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
    revenue = dict(
        session.exec(
            select(Handoff.lead_id, sa.func.sum(Handoff.amount))
            .where(col(Handoff.lead_id).in_(leads), Handoff.status == HandoffStatus.WON.value)
            .group_by(col(Handoff.lead_id))
        ).all()
    )
    rows = session.exec(
        select(Lead.id, Lead.source, Lead.created_at).where(col(Lead.id).in_(leads))
    ).all()
    return [
        Milestones(
            source=source,
            created_at=created_at,
            reached={s: at for s, at in firsts.get(lead_id, {}).items() if s in MILESTONES},
            revenue=Decimal(revenue.get(lead_id) or 0),
        )
        for lead_id, source, created_at in rows
    ]
