"""Touches: written at intake and with each recorded event, read by attribution."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from nurture.rules.touches import campaign_of, intake_ref
from nurture.tables import Touch

_INSERT: dict[str, Callable[[type[Touch]], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def add(
    session: Session, lead_id: uuid.UUID, campaign: str, kind: str, at: datetime, ref: str
) -> None:
    """Record the touch once: a retried write or a second intake of the same campaign is
    a no-op (ON CONFLICT DO NOTHING keeps the surrounding transaction whole)."""
    values = {"lead_id": lead_id, "campaign": campaign, "kind": kind, "at": at, "ref": ref}
    insert = _INSERT[session.get_bind().dialect.name]  # the read model is one or the other
    session.execute(insert(Touch).values(**values).on_conflict_do_nothing())


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
