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

from nurture.repo import sales_reach
from nurture.rules.funnel_kpi import SalesCounts
from nurture.rules.scoring_kpi import ScoringHistory
from nurture.rules.sla_kpi import SlaHistory
from nurture.tables import Handoff, Lead, LeadEvent, Rep, SlaEvent


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
    qualified yet do not dilute the rates. Who counts as handed off, and how far each got,
    is nurture.repo.sales_reach's one definition."""
    handed = sales_reach.handed_off_in(start, end, campaign)
    reach = sales_reach.reached(session, handed)
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
        opportunities={i for i, stages in reach.items() if "opportunity" in stages},
        wins={i for i, stages in reach.items() if "won" in stages},
        sales=sales_reach.sales_counts(reach),
    )


def sales_of_handoffs(
    session: Session, start: datetime | None, end: datetime | None, campaign: str | None = None
) -> SalesCounts:
    """The leads behind the SLA's handoffs (handed off in the range) and how far they got."""
    return sales_reach.sales_counts(
        sales_reach.reached(session, sales_reach.handed_off_in(start, end, campaign))
    )
