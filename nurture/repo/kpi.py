"""Funnel and campaign KPIs, computed in SQL on SQLite and PostgreSQL alike.

Cohorts are leads created in [start, end); a lead "reached" a stage as
nurture.repo.sales_reach defines it (a stage change into it or a later stage, or sales'
record on a handoff), so a won lead counts as an MQL too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.repo import sales_reach
from nurture.rules.funnel_kpi import FUNNEL, CampaignRow, Funnel
from nurture.tables import Campaign, Handoff, Lead


def _cohort(
    start: datetime | None, end: datetime | None, campaign: str | None
) -> sa.Select[tuple[object]]:
    query = select(Lead.id, Lead.source)
    if start is not None:
        query = query.where(col(Lead.created_at) >= start)
    if end is not None:
        query = query.where(col(Lead.created_at) < end)
    if campaign is not None:
        query = query.where(Lead.source == campaign)
    return query  # type: ignore[return-value]


def reached(
    session: Session, start: datetime | None, end: datetime | None, campaign: str | None
) -> dict[str, dict[str, set[object]]]:
    """source → stage → lead ids that reached it (funnel stages only; see sales_reach)."""
    cohort = _cohort(start, end, campaign).subquery()
    out: dict[str, dict[str, set[object]]] = defaultdict(lambda: defaultdict(set))
    source_of = dict(session.exec(select(cohort.c.id, cohort.c.source)).all())
    for lead_id, source in source_of.items():
        out[source]["new"].add(lead_id)
    for lead_id, stages in sales_reach.reached(session, select(cohort.c.id)).items():
        for stage in stages:
            out[source_of[lead_id]][stage].add(lead_id)
    return out


def funnel(
    session: Session, start: datetime | None, end: datetime | None, campaign: str | None
) -> tuple[Funnel, dict[str, Funnel]]:
    """The funnel overall and per campaign key."""
    total = Funnel()
    per: dict[str, Funnel] = {}
    merged: dict[str, set[object]] = defaultdict(set)
    for source, stages in sorted(reached(session, start, end, campaign).items()):
        f = Funnel({s: len(stages.get(s, set())) for s in FUNNEL})
        per[source] = f
        for s in FUNNEL:
            merged[s] |= stages.get(s, set())
    total.counts = {s: len(merged[s]) for s in FUNNEL}
    return total, per


def campaigns(
    session: Session, start: datetime | None, end: datetime | None, campaign: str | None
) -> list[CampaignRow]:
    """Cost, leads, MQLs, handoffs, opportunities, wins and won revenue per campaign: every
    campaign recorded (with no leads of the range too) and every key seen on a lead."""
    stages = reached(session, start, end, campaign)
    cohort = _cohort(start, end, campaign).subquery()
    revenue_rows = session.exec(
        select(cohort.c.source, sa.func.sum(Handoff.amount))
        .join(cohort, cohort.c.id == Handoff.lead_id)
        .where(Handoff.status == "won")
        .group_by(cohort.c.source)
    ).all()
    revenue = {source: Decimal(total or 0) for source, total in revenue_rows}
    known = {c.key: c for c in session.exec(select(Campaign)).all()}
    keys = sorted(set(stages) | ({campaign} if campaign else set(known)))
    rows = []
    for key in keys:
        info = known.get(key)
        s = stages.get(key, {})
        rows.append(
            CampaignRow(
                key=key,
                name=info.name if info else key or "(no campaign)",
                channel=info.channel if info else "unknown",
                cost=None if info is None or info.cost is None else Decimal(info.cost),
                leads=len(s.get("new", set())),
                mqls=len(s.get("mql", set())),
                handed_off=len(s.get("sales_pending", set())),
                accepted=len(s.get("sales_accepted", set())),
                opportunities=len(s.get("opportunity", set())),
                won=len(s.get("won", set())),
                revenue=revenue.get(key, Decimal(0)),
            )
        )
    return rows


def upsert_campaign(session: Session, campaign: Campaign) -> bool:
    """Create or replace; True when it was new."""
    existing = session.get(Campaign, campaign.key)
    if existing is None:
        session.add(campaign)
        return True
    for name in (
        "name",
        "channel",
        "cost",
        "starts_on",
        "ends_on",
        "updated_at",
        "asset_title",
        "asset_url",
        "links",
    ):
        setattr(existing, name, getattr(campaign, name))
    session.add(existing)
    return False


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).order_by(col(Campaign.key))).all())


def campaign_keys(session: Session) -> list[str]:
    """Every campaign key: recorded ones and those seen only as a lead's source, in order."""
    recorded = select(Campaign.key)
    seen = select(Lead.source).where(Lead.source != "")
    keys = sa.union(recorded, seen).subquery()
    return list(session.exec(select(keys.c[0]).order_by(keys.c[0])).all())


def campaign_choices(session: Session) -> list[tuple[str, str]]:
    """Every campaign key with its name, for a filter that names campaigns as the tables do
    (the key itself for one seen only as a lead's source)."""
    names: dict[str, str] = dict(session.exec(select(Campaign.key, Campaign.name)).all())
    return [(key, names.get(key) or key) for key in campaign_keys(session)]
