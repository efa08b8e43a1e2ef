"""Touches: written at intake and with each recorded event, read by attribution."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from nurture.rules.touches import campaign_of, intake_ref
from nurture.tables import Touch


def add(
    session: Session, lead_id: uuid.UUID, campaign: str, kind: str, at: datetime, ref: str
) -> None:
    """Record the touch once: a retried write or a second intake of the same campaign is
    a no-op (ON CONFLICT DO NOTHING keeps the surrounding transaction whole)."""
    values = {"lead_id": lead_id, "campaign": campaign, "kind": kind, "at": at, "ref": ref}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: sa.Insert = postgresql.insert(Touch).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(Touch).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - the read model runs on SQLite or PostgreSQL
        if session.exec(select(Touch.id).where(Touch.lead_id == lead_id, Touch.ref == ref)).first():
            return
        stmt = sa.insert(Touch).values(**values)
    session.execute(stmt)


def add_intake(session: Session, lead_id: uuid.UUID, campaign: str, at: datetime) -> None:
    if campaign:
        add(session, lead_id, campaign, "intake", at, intake_ref(campaign))


def add_event(
    session: Session,
    lead_id: uuid.UUID,
    event_id: str,
    event_type: str,
    properties: dict[str, object],
    at: datetime,
) -> None:
    campaign = campaign_of(event_type, properties)
    if campaign:
        add(session, lead_id, campaign, event_type, at, event_id)


def of_leads(
    session: Session, lead_ids: Iterable[uuid.UUID] | sa.Select[tuple[uuid.UUID]]
) -> list[Touch]:
    """The touches of these leads (a list or a subquery of ids), in time order per lead."""
    ids = lead_ids if isinstance(lead_ids, sa.Select) else list(lead_ids)
    return list(
        session.exec(
            select(Touch)
            .where(col(Touch.lead_id).in_(ids))
            .order_by(col(Touch.lead_id), col(Touch.at), col(Touch.id))
        ).all()
    )
