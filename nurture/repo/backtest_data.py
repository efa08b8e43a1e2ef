"""The recorded past a backtest replays, read from the read model, and the saved runs.

Leads are read in chunks (a chunk's IDs are one IN list, well under psycopg's parameter
limit), each with its profiles as they were (profile_change keeps what an intake
replaced), its behaviour batches as the workflow scored them (events share the moment
they were applied), its first MQL and its stop as recorded, and how far sales took it
(nurture.repo.sales_reach's one definition).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.models import BehaviourEvent, LeadProfile, Stage
from nurture.repo import sales_reach
from nurture.repo.leads import scoring_fields
from nurture.rules.backtest import SAME_MOMENT, Batch, LeadPast
from nurture.tables import (
    AccountHandoff,
    BacktestRun,
    Lead,
    LeadEvent,
    ProfileChange,
    StageChange,
    utcnow,
)

CHUNK = 1_000
STOPS = (Stage.UNSUBSCRIBED.value, Stage.BOUNCED.value, Stage.DISQUALIFIED.value)


def _entered(start: datetime | None, end: datetime | None) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if start is not None:
        where.append(col(Lead.created_at) >= start)
    if end is not None:
        where.append(col(Lead.created_at) < end)
    return where


def count_leads(session: Session, start: datetime | None, end: datetime | None) -> int:
    """Leads that entered in [start, end)."""
    query = select(sa.func.count()).select_from(Lead).where(*_entered(start, end))
    return int(session.exec(query).one())


def lead_pasts(
    session: Session,
    start: datetime | None,
    end: datetime | None,
    email_kind: Callable[[str], str],
    chunk: int = CHUNK,
) -> Iterator[list[LeadPast]]:
    """The leads that entered in [start, end), a chunk at a time, oldest first.
    `email_kind`: the scoring model's kind of an address (the profile has the kind only)."""
    query = select(Lead).where(*_entered(start, end)).order_by(col(Lead.created_at), col(Lead.id))
    leads = list(session.exec(query.limit(chunk)).all())
    while leads:
        yield _pasts(session, leads, email_kind)
        last = leads[-1]
        session.expunge_all()  # a chunk at a time in memory
        after = sa.or_(  # keyset paging: each chunk as quick as the first, none read twice
            col(Lead.created_at) > last.created_at,
            sa.and_(col(Lead.created_at) == last.created_at, col(Lead.id) > last.id),
        )
        leads = list(session.exec(query.where(after).limit(chunk)).all())


def _pasts(session: Session, leads: list[Lead], email_kind: Callable[[str], str]) -> list[LeadPast]:
    ids = [lead.id for lead in leads]
    batches = _batches(session, ids)
    befores: dict[uuid.UUID, list[tuple[datetime, dict[str, Any]]]] = defaultdict(list)
    for change in session.exec(
        select(ProfileChange)
        .where(col(ProfileChange.lead_id).in_(ids))
        .order_by(col(ProfileChange.at), col(ProfileChange.id))
    ).all():
        befores[change.lead_id].append((change.at, change.before))
    mql_at = _first(session, ids, (Stage.MQL.value,))
    claims = _account_claims(session, ids)
    stops = _stops(session, ids)
    reach = sales_reach.reached(session, select(Lead.id).where(col(Lead.id).in_(ids)))
    out = []
    for lead in leads:
        kind = email_kind(lead.email)
        stages = reach.get(lead.id, set())
        out.append(
            LeadPast(
                lead_id=lead.id,
                entered_at=lead.created_at,
                profiles=_profiles(lead, befores.get(lead.id, []), kind),
                batches=tuple(batches.get(lead.id, [])),
                stops=_halted(stops.get(lead.id, ()), lead),
                recorded_mql_at=mql_at.get(lead.id),
                by_account=_by_account(mql_at.get(lead.id), claims.get(lead.id, [])),
                opportunity="opportunity" in stages,
                won="won" in stages,
            )
        )
    return out


def _account_claims(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[datetime]]:
    """Lead → when it carried its account to sales (account handoffs)."""
    out: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    for lead_id, at in session.exec(
        select(AccountHandoff.lead_id, AccountHandoff.claimed_at).where(
            col(AccountHandoff.lead_id).in_(ids)
        )
    ).all():
        out[lead_id].append(at)
    return out


def _by_account(mql_at: datetime | None, claims: list[datetime]) -> bool:
    """The lead's first MQL was its account's: a claim of that moment (the claim's
    workflow task wrote the stage, SAME_MOMENT covers a late write)."""
    return mql_at is not None and any(abs(mql_at - at) <= SAME_MOMENT for at in claims)


def _profiles(
    lead: Lead, befores: list[tuple[datetime, dict[str, Any]]], kind: str
) -> tuple[tuple[datetime, LeadProfile], ...]:
    """(since, profile): what each change replaced held from the change before it (the
    first from entry), the lead row's fields from the last change on."""
    now = scoring_fields(lead)
    since = [lead.created_at] + [at for at, _ in befores]
    fields = [before for _, before in befores] + [now]
    return tuple(
        (at, LeadProfile(**{**f, "attributes": f.get("attributes") or {}}, email_kind=kind))
        for at, f in zip(since, fields, strict=True)
    )


def _batches(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Batch]]:
    """Each lead's events grouped by the moment the workflow applied them."""
    rows = session.exec(
        select(LeadEvent)
        .where(col(LeadEvent.lead_id).in_(ids))
        .order_by(col(LeadEvent.lead_id), col(LeadEvent.applied_at), col(LeadEvent.id))
    ).all()
    grouped: dict[tuple[uuid.UUID, datetime], list[LeadEvent]] = defaultdict(list)
    for row in rows:
        grouped[(row.lead_id, row.applied_at)].append(row)
    out: dict[uuid.UUID, list[Batch]] = defaultdict(list)
    for (lead_id, at), events in grouped.items():
        out[lead_id].append(
            Batch(
                at=at,
                events=tuple(
                    BehaviourEvent(
                        event_id=e.event_id,
                        type=e.type,
                        occurred_at=e.occurred_at,
                        properties=e.properties or {},
                    )
                    for e in events
                ),
                recorded=tuple((e.points, e.score_after) for e in events),
            )
        )
    return out


def _stops(
    session: Session, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[datetime, datetime | None]]]:
    """Lead id → the spells it spent in a stage it cannot qualify from: from a move into
    one to the next move out of it (ops resuming a stopped lead), open while it is there."""
    out: dict[uuid.UUID, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    started: dict[uuid.UUID, datetime] = {}
    for lead_id, at, to_stage in session.exec(
        select(StageChange.lead_id, StageChange.at, StageChange.to_stage)
        .where(col(StageChange.lead_id).in_(ids))
        .order_by(col(StageChange.lead_id), col(StageChange.at), col(StageChange.id))
    ).all():
        if to_stage in STOPS:
            started.setdefault(lead_id, at)
        elif lead_id in started:
            out[lead_id].append((started.pop(lead_id), at))
    for lead_id, at in started.items():
        out[lead_id].append((at, None))
    return out


def _halted(
    stops: Iterable[tuple[datetime, datetime | None]], lead: Lead
) -> tuple[tuple[datetime, datetime | None], ...]:
    """The stops, and the halt a lead's workflow is in now (terminated or cancelled in
    Temporal, or stopped by ops): it scores nothing until resumed."""
    spells = list(stops)
    if lead.halted is not None and lead.halted_at is not None:
        spells.append((lead.halted_at, None))
    return tuple(spells)


def _first(session: Session, ids: list[uuid.UUID], stages: tuple[str, ...]) -> dict[Any, Any]:
    """Lead id → when it first moved into one of `stages`."""
    return dict(
        session.exec(
            select(StageChange.lead_id, sa.func.min(StageChange.at))
            .where(col(StageChange.lead_id).in_(ids), col(StageChange.to_stage).in_(stages))
            .group_by(col(StageChange.lead_id))
        ).all()
    )


def save_run(session: Session, candidate: str, result: dict[str, Any]) -> BacktestRun:
    run = BacktestRun(at=utcnow(), candidate=candidate, result=result)
    session.add(run)
    session.commit()
    session.refresh(run)
    return run


def last_run(session: Session) -> BacktestRun | None:
    """The newest saved backtest, for the dashboard."""
    query = select(BacktestRun).order_by(col(BacktestRun.at).desc(), col(BacktestRun.id).desc())
    return session.exec(query.limit(1)).first()
