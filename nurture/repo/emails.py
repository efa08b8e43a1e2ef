"""The email outbox: one row per mail key, so a retried send finds what was already sent."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlmodel import Session, select

from nurture.tables import EmailMessage, utcnow


def claim(
    session: Session,
    *,
    outbox_key: str,
    lead_id: uuid.UUID,
    kind: str,
    message_id: str,
    scheduled_at: datetime,
    scenario: str = "",
    step: str = "",
    rep_id: uuid.UUID | None = None,
) -> EmailMessage:
    """The outbox row for this key, created pending if it is the first attempt."""
    row = session.exec(select(EmailMessage).where(EmailMessage.outbox_key == outbox_key)).first()
    if row is not None:
        return row
    row = EmailMessage(
        outbox_key=outbox_key,
        tracking_id=hashlib.sha256(outbox_key.encode()).hexdigest()[:32],
        lead_id=lead_id,
        kind=kind,
        scenario=scenario,
        step=step,
        rep_id=rep_id,
        message_id=message_id,
        scheduled_at=scheduled_at,
    )
    session.add(row)
    session.flush()
    return row


def mark_sent(session: Session, outbox_key: str, subject: str) -> None:
    row = session.exec(select(EmailMessage).where(EmailMessage.outbox_key == outbox_key)).one()
    row.status = "sent"
    row.subject = subject
    row.sent_at = utcnow()
    session.add(row)


def mark_skipped(session: Session, outbox_key: str, reason: str, status: str = "skipped") -> None:
    row = session.exec(select(EmailMessage).where(EmailMessage.outbox_key == outbox_key)).one()
    row.status = status
    row.subject = f"(not sent: {reason})"
    session.add(row)
