"""Opens, clicks and unsubscribes: what the tracking endpoints read and write."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.tables import EmailMessage, Lead, TrackingHit, utcnow


def seconds_since_delivery(session: Session, tracking_id: str, now: datetime) -> float | None:
    """How long ago the mail was delivered; None when there is no such mail.

    A mail not yet marked sent is inside its SMTP session right now (it is marked before
    the session ends), so whatever fetches its links is a gateway: 0 seconds.
    """
    row = session.exec(select(EmailMessage).where(EmailMessage.tracking_id == tracking_id)).first()
    if row is None:
        return None
    if row.sent_at is None:
        return 0.0
    return (now - row.sent_at).total_seconds()


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
