"""Opens, clicks and unsubscribes: what the tracking endpoints read and write."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.tables import EmailMessage, Lead, TrackingHit, utcnow


def delivered_at(session: Session, tracking_id: str) -> datetime | None:
    row = session.exec(select(EmailMessage).where(EmailMessage.tracking_id == tracking_id)).first()
    return row.sent_at if row is not None else None


def record_hit(session: Session, hit: TrackingHit) -> None:
    session.add(hit)


def mark_unsubscribed(session: Session, lead_id: uuid.UUID, at: datetime) -> bool:
    """True when the lead exists; the first unsubscribe time is kept."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        return False
    if lead.unsubscribed_at is None:
        lead.unsubscribed_at = at
        lead.updated_at = utcnow()
        session.add(lead)
    return True


def mark_bounced(session: Session, lead_id: uuid.UUID, at: datetime) -> None:
    session.exec(
        sa.update(Lead)
        .where(col(Lead.id) == lead_id, col(Lead.bounced_at).is_(None))
        .values(bounced_at=at, updated_at=utcnow())
    )
