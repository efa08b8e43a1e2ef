"""Sales reps and handoffs: who is on the team, and who got which lead."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.settings import RepConfig
from nurture.tables import Counter, Handoff, Rep

ROUND_ROBIN = "round_robin"


def sync_from_config(session: Session, reps: Sequence[RepConfig]) -> None:
    """Make the configured reps exist and be active; reps no longer configured go inactive."""
    wanted = {r.email.lower(): r for r in reps}
    existing = {rep.email: rep for rep in session.exec(select(Rep)).all()}
    for email, cfg in wanted.items():
        rep = existing.get(email)
        if rep is None:
            session.add(Rep(name=cfg.name, email=email))
        else:
            rep.name, rep.active = cfg.name, True
            session.add(rep)
    for email, rep in existing.items():
        if email not in wanted and rep.active:
            rep.active = False
            session.add(rep)


def active_reps(session: Session) -> list[Rep]:
    rows = session.exec(
        select(Rep).where(col(Rep.active).is_(True)).order_by(col(Rep.created_at), col(Rep.email))
    )
    return list(rows.all())


def _next_position(session: Session) -> int:
    """Atomically advance the round-robin counter (one statement: safe under concurrency)."""
    bumped = session.exec(
        sa.update(Counter)
        .where(col(Counter.name) == ROUND_ROBIN)
        .values(value=col(Counter.value) + 1)
        .returning(col(Counter.value))
    ).first()
    if bumped is not None:
        return int(bumped[0]) - 1
    session.add(Counter(name=ROUND_ROBIN, value=1))
    session.flush()
    return 0


def get_handoff(session: Session, handoff_id: str) -> Handoff | None:
    return session.get(Handoff, handoff_id)


def assign_round_robin(
    session: Session, *, handoff_id: str, lead_id: uuid.UUID, score: int, at: datetime
) -> tuple[Handoff, Rep] | None:
    """Assign the next active rep in turn; the same handoff asked twice gets the same rep."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is not None and handoff.rep_id is not None:
        rep = session.get(Rep, handoff.rep_id)
        if rep is not None:
            return handoff, rep
    reps = active_reps(session)
    if not reps:
        return None
    position = _next_position(session)
    rep = reps[position % len(reps)]
    reason = f"round-robin: turn {position + 1} of {len(reps)} active reps"
    if handoff is None:
        handoff = Handoff(id=handoff_id, lead_id=lead_id, score=score, created_at=at)
    handoff.rep_id, handoff.reason = rep.id, reason
    session.add(handoff)
    session.flush()
    return handoff, rep


def mark_notified(session: Session, handoff_id: str, at: datetime) -> None:
    handoff = session.get(Handoff, handoff_id)
    if handoff is not None and handoff.notified_at is None:
        handoff.notified_at = at
        session.add(handoff)


def get_rep(session: Session, rep_id: uuid.UUID) -> Rep | None:
    return session.get(Rep, rep_id)
