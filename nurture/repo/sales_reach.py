"""How far a lead got: the one definition of handed off, accepted, opportunity and won that
every KPI (funnel, campaign ROI, SLA, scoring review) counts by.

A lead reached a funnel stage when its history has a stage change into it or into a later
funnel stage, or when sales recorded it on a handoff: a handoff row means handed off, an
`ack` accepted, an `opportunity` or `won` event those stages. The handoff's own record
matters because the lead's stage history can skip a stage: a rep who acknowledges within
a second moves the lead mql → sales_accepted with no sales_pending row, and a handoff
rejected at once leaves the lead mql → recycled. Queries take the leads as a subquery,
never as a list of IDs (psycopg refuses more than 65,535 parameters).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.models import SlaEventKind
from nurture.rules.funnel_kpi import FUNNEL, SALES_STAGES, SalesCounts, up_to
from nurture.tables import Handoff, Lead, SlaEvent, StageChange

LeadIds = sa.Select[Any]  # a select of lead IDs, used as a subquery

# What a handoff's SLA event says about the lead's stage.
EVENT_STAGE = {
    SlaEventKind.ACK.value: "sales_accepted",
    SlaEventKind.OPPORTUNITY.value: "opportunity",
    SlaEventKind.WON.value: "won",
}


def stage_marks(leads: LeadIds) -> sa.CompoundSelect[Any]:
    """(lead id, funnel stage, when) for every mark of progress of the `leads` (a select of
    IDs)."""
    changes = select(
        StageChange.lead_id,
        StageChange.to_stage.label("stage"),  # type: ignore[attr-defined]
        StageChange.at,
    ).where(col(StageChange.to_stage).in_(FUNNEL), col(StageChange.lead_id).in_(leads))
    handoffs = sa.select(
        col(Handoff.lead_id), sa.literal("sales_pending").label("stage"), col(Handoff.created_at)
    ).where(col(Handoff.lead_id).in_(leads))
    events = sa.select(
        col(SlaEvent.lead_id),
        sa.case(
            *((col(SlaEvent.event) == event, stage) for event, stage in EVENT_STAGE.items())
        ).label("stage"),
        col(SlaEvent.at),
    ).where(col(SlaEvent.event).in_(EVENT_STAGE), col(SlaEvent.lead_id).in_(leads))
    return sa.union(changes, handoffs, events)


def reached(session: Session, leads: LeadIds) -> dict[uuid.UUID, set[str]]:
    """Lead id → every funnel stage it reached (a won lead reached all before it too)."""
    marks = stage_marks(leads).subquery()
    out: dict[uuid.UUID, set[str]] = defaultdict(set)
    for lead_id, stage in session.exec(select(marks.c.lead_id, marks.c.stage).distinct()).all():
        out[lead_id].update(up_to(stage))
    return out


def first_reached(session: Session, leads: LeadIds) -> dict[uuid.UUID, dict[str, datetime]]:
    """Lead id → funnel stage → the first moment the lead was in it or a later stage."""
    marks = stage_marks(leads).subquery()
    out: dict[uuid.UUID, dict[str, datetime]] = defaultdict(dict)
    for lead_id, stage, at in session.exec(
        select(marks.c.lead_id, marks.c.stage, sa.func.min(marks.c.at)).group_by(
            marks.c.lead_id, marks.c.stage
        )
    ).all():
        firsts = out[lead_id]
        for earlier in up_to(stage):
            if earlier not in firsts or at < firsts[earlier]:
                firsts[earlier] = at
    return out


def sales_counts(reach: dict[uuid.UUID, set[str]]) -> SalesCounts:
    """Leads handed off, accepted, with an opportunity, won, of a `reached` answer."""
    n = {s: sum(s in stages for stages in reach.values()) for s in SALES_STAGES}
    return SalesCounts(
        handed_off=n["sales_pending"],
        accepted=n["sales_accepted"],
        opportunities=n["opportunity"],
        won=n["won"],
    )


def handed_off_in(start: datetime | None, end: datetime | None, campaign: str | None) -> LeadIds:
    """Leads handed off in [start, end), whose source is `campaign` when given: a handoff
    made in the range, or a move from outside the sales stages into one of them in it (what
    the SLA and the scoring review count). A lead handed off before the range and won in it
    was not handed off in it."""
    made = select(Handoff.lead_id)
    moved = select(StageChange.lead_id).where(
        col(StageChange.to_stage).in_(SALES_STAGES),
        sa.or_(
            col(StageChange.from_stage).is_(None),
            col(StageChange.from_stage).not_in(SALES_STAGES),
        ),
    )
    if start is not None:
        made = made.where(col(Handoff.created_at) >= start)
        moved = moved.where(col(StageChange.at) >= start)
    if end is not None:
        made = made.where(col(Handoff.created_at) < end)
        moved = moved.where(col(StageChange.at) < end)
    both = sa.union(made, moved).subquery()
    query = select(both.c.lead_id)
    if campaign is not None:
        query = query.where(both.c.lead_id.in_(select(Lead.id).where(Lead.source == campaign)))
    return query


def won_event_times() -> sa.Subquery:
    """handoff_id → when sales recorded the win (its `won` SLA event). Trends and
    attribution date a won deal's revenue by it, else by the handoff's `closed_at`."""
    return (
        select(SlaEvent.handoff_id, sa.func.min(SlaEvent.at).label("at"))
        .where(SlaEvent.event == SlaEventKind.WON.value)
        .group_by(col(SlaEvent.handoff_id))
        .subquery("won_event")
    )
