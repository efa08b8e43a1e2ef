"""The rows behind multi-touch attribution: each lead's touches and outcomes.

Queries only; nurture.rules.attribution credits them. Leads are picked with subqueries,
never with lists of IDs (psycopg refuses more than 65,535 parameters). Outcomes:

- an MQL is the first time the lead reached `mql` or a later funnel stage (as the funnel
  counts it: a lead recorded straight as won qualified then);
- a deal is a handoff that became an opportunity (its `opportunity` SLA event: when, and
  the amount given then) or was won without one; its pipeline is the opportunity's amount,
  else the handoff's (the won amount); a won handoff's revenue is its amount, won when it
  closed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from nurture.models import HandoffStatus, SlaEventKind
from nurture.repo import sales_reach
from nurture.rules.attribution import Deal, Journey, TouchAt
from nurture.rules.attribution_figures import CampaignInfo
from nurture.rules.funnel_kpi import LATER
from nurture.tables import Campaign, Handoff, Lead, SlaEvent, StageChange, Touch

WON = HandoffStatus.WON.value


def _window(
    column: sa.ColumnElement[datetime] | Mapped[datetime],
    start: datetime | None,
    end: datetime | None,
) -> sa.ColumnElement[bool]:
    where: list[sa.ColumnElement[bool]] = [column.is_not(None)]
    if start is not None:
        where.append(column >= start)
    if end is not None:
        where.append(column < end)
    return sa.and_(*where)


def _mql() -> sa.Subquery:
    return (
        select(StageChange.lead_id, sa.func.min(StageChange.at).label("at"))
        .where(col(StageChange.to_stage).in_(LATER["mql"]))
        .group_by(col(StageChange.lead_id))
        .subquery("mql")
    )


def _deals() -> sa.Subquery:
    opportunity = (
        select(
            SlaEvent.handoff_id,
            sa.func.min(SlaEvent.at).label("at"),
            sa.func.max(SlaEvent.amount).label("amount"),
        )
        .where(SlaEvent.event == SlaEventKind.OPPORTUNITY.value)
        .group_by(col(SlaEvent.handoff_id))
        .subquery("opportunity")
    )
    won_event = sales_reach.won_event_times()
    won_at = sa.case(
        (
            col(Handoff.status) == WON,
            sa.func.coalesce(won_event.c.at, Handoff.closed_at, Handoff.created_at),
        ),
        else_=None,
    )
    return (
        sa.select(
            col(Handoff.lead_id),
            sa.func.coalesce(opportunity.c.at, won_at).label("opened_at"),
            sa.func.coalesce(opportunity.c.amount, Handoff.amount).label("pipeline"),
            won_at.label("won_at"),
            col(Handoff.amount).label("amount"),
        )
        .outerjoin(opportunity, opportunity.c.handoff_id == Handoff.id)
        .outerjoin(won_event, won_event.c.handoff_id == Handoff.id)
        .where(sa.or_(opportunity.c.at.is_not(None), col(Handoff.status) == WON))
        .subquery("deal")
    )


def _of_campaign(campaign: str | None) -> list[sa.ColumnElement[bool]]:
    """Leads that came from `campaign` (their source), as the other KPIs' campaign filter."""
    if campaign is None:
        return []
    return [col(Touch.lead_id).in_(select(Lead.id).where(Lead.source == campaign))]


def journeys(
    session: Session, start: datetime | None, end: datetime | None, campaign: str | None = None
) -> list[Journey]:
    """The journeys of the leads (from `campaign`, when given) with an outcome in
    [start, end): touches of any time, in time order; the first MQL; every deal."""
    mql, deals = _mql(), _deals()
    leads = sa.union(
        select(mql.c.lead_id).where(_window(mql.c.at, start, end)),
        select(deals.c.lead_id).where(
            sa.or_(_window(deals.c.opened_at, start, end), _window(deals.c.won_at, start, end))
        ),
    ).subquery("outcome_leads")
    ids = select(leads.c.lead_id)
    if campaign is not None:
        ids = ids.where(leads.c.lead_id.in_(select(Lead.id).where(Lead.source == campaign)))
    touches: dict[uuid.UUID, list[TouchAt]] = defaultdict(list)
    for lead_id, campaign, at in session.exec(
        select(Touch.lead_id, Touch.campaign, Touch.at)
        .where(col(Touch.lead_id).in_(ids))
        .order_by(col(Touch.lead_id), col(Touch.at), col(Touch.id))
    ).all():
        touches[lead_id].append(TouchAt(campaign, at))
    mql_at = dict(session.exec(select(mql.c.lead_id, mql.c.at).where(mql.c.lead_id.in_(ids))).all())
    lead_deals: dict[uuid.UUID, list[Deal]] = defaultdict(list)
    for lead_id, opened_at, pipeline, won_at, amount in session.execute(
        sa.select(
            deals.c.lead_id, deals.c.opened_at, deals.c.pipeline, deals.c.won_at, deals.c.amount
        )
        .where(deals.c.lead_id.in_(ids))
        .order_by(deals.c.opened_at)
    ).all():
        won = Decimal(amount or 0) if won_at is not None else Decimal(0)
        lead_deals[lead_id].append(Deal(opened_at, Decimal(pipeline or 0), won_at, won))
    lead_ids = set(mql_at) | set(lead_deals)
    return [
        Journey(tuple(touches[i]), mql_at.get(i), tuple(lead_deals[i])) for i in sorted(lead_ids)
    ]


def touched_leads(
    session: Session, start: datetime | None, end: datetime | None, campaign: str | None = None
) -> tuple[dict[str, int], int]:
    """Distinct leads (from `campaign`, when given) a campaign touched in [start, end), per
    campaign and in all."""
    window = sa.and_(_window(col(Touch.at), start, end), *_of_campaign(campaign))
    per = session.exec(
        select(Touch.campaign, sa.func.count(sa.distinct(col(Touch.lead_id))))
        .where(window)
        .group_by(col(Touch.campaign))
    ).all()
    everyone = session.exec(
        select(sa.func.count(sa.distinct(col(Touch.lead_id)))).where(window)
    ).one()
    return dict(per), everyone


def campaigns(session: Session) -> dict[str, CampaignInfo]:
    """The recorded campaigns, with their costs (None: recorded without one, unknown)."""
    return {
        c.key: CampaignInfo(c.key, c.name, c.channel, None if c.cost is None else Decimal(c.cost))
        for c in session.exec(select(Campaign)).all()
    }
