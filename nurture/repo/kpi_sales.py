"""The rows behind the SLA and scoring-review KPIs: what sales did with marketing's leads.

Queries only; the figures are worked out by nurture.rules.sla_kpi and
nurture.rules.scoring_kpi (handoffs are few next to events, so the business-hour
arithmetic runs in Python on the calendar the SLA clock uses). Rows are picked with
subqueries, never with lists of IDs: psycopg refuses more than 65,535 parameters.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.models import Stage
from nurture.rules.scoring_kpi import ScoringHistory
from nurture.rules.sla_kpi import SlaHistory
from nurture.tables import Handoff, Lead, LeadEvent, Rep, SlaEvent, StageChange


def _handoff_filter(
    start: datetime | None, end: datetime | None, campaign: str | None
) -> list[sa.ColumnElement[bool]]:
    """Handoffs created in [start, end) of leads whose source is `campaign`."""
    where = []
    if start is not None:
        where.append(col(Handoff.created_at) >= start)
    if end is not None:
        where.append(col(Handoff.created_at) < end)
    if campaign is not None:
        where.append(col(Handoff.lead_id).in_(select(Lead.id).where(Lead.source == campaign)))
    return where


def sla_history(
    session: Session, start: datetime | None, end: datetime | None, campaign: str | None = None
) -> SlaHistory:
    """Handoffs created in [start, end) of leads whose source is `campaign`, with their SLA
    events in time order and the reps' names."""
    where = _handoff_filter(start, end, campaign)
    handoffs = list(session.exec(select(Handoff).where(*where)).all())
    events: dict[str, list[SlaEvent]] = defaultdict(list)
    for e in session.exec(
        select(SlaEvent)
        .where(col(SlaEvent.handoff_id).in_(select(Handoff.id).where(*where)))
        .order_by(col(SlaEvent.at), col(SlaEvent.id))
    ).all():
        events[e.handoff_id].append(e)
    names = {r.id: r.name for r in session.exec(select(Rep)).all()}
    return SlaHistory(handoffs=handoffs, events=dict(events), rep_names=names)


def scoring_history(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    campaign: str | None = None,
) -> ScoringHistory:
    """Leads handed off in [start, end) (any of their handoffs), whose source is `campaign`
    when given: only leads sales has decided on, so nurturing leads that simply have not
    qualified yet do not dilute the rates."""
    handed_query = select(StageChange.lead_id).where(
        StageChange.to_stage == Stage.SALES_PENDING.value
    )
    if start is not None:
        handed_query = handed_query.where(col(StageChange.at) >= start)
    if end is not None:
        handed_query = handed_query.where(col(StageChange.at) < end)
    if campaign is not None:
        handed_query = handed_query.where(
            col(StageChange.lead_id).in_(select(Lead.id).where(Lead.source == campaign))
        )
    handed = handed_query.distinct()
    reached: dict[str, set[uuid.UUID]] = defaultdict(set)
    for lead_id, stage in session.exec(
        select(StageChange.lead_id, StageChange.to_stage).where(
            col(StageChange.to_stage).in_([Stage.OPPORTUNITY.value, Stage.WON.value]),
            col(StageChange.lead_id).in_(handed),
        )
    ).all():
        reached[stage].add(lead_id)
    breakdowns = dict(
        session.exec(select(Lead.id, Lead.score_breakdown).where(col(Lead.id).in_(handed))).all()
    )
    triggered: dict[str, set[uuid.UUID]] = defaultdict(set)
    for lead_id, kind in session.exec(
        select(LeadEvent.lead_id, LeadEvent.type)
        .where(col(LeadEvent.lead_id).in_(handed), col(LeadEvent.points) != 0)
        .distinct()
    ).all():
        triggered[kind].add(lead_id)
    return ScoringHistory(
        breakdowns=breakdowns,
        triggered=dict(triggered),
        opportunities=reached[Stage.OPPORTUNITY.value],
        wins=reached[Stage.WON.value],
    )
