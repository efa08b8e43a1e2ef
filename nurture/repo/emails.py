"""The email outbox: one row per mail key, so a retried send finds what was already sent."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.repo.bound import insert_all, params, run
from nurture.tables import EmailMessage, utcnow

# The statements a send runs for every mail, built once (Core, bound parameters): as ORM
# statements, building and cache-keying them cost more than the database's work.
_OUTBOX = EmailMessage.__table__  # type: ignore[attr-defined]
_BY_KEY = _OUTBOX.c.outbox_key == sa.bindparam("p_key", type_=_OUTBOX.c.outbox_key.type)
_CLAIMED = sa.select(_OUTBOX.c.message_id, _OUTBOX.c.status, _OUTBOX.c.tracking_id).where(_BY_KEY)
_ADD = insert_all(_OUTBOX)
_STATUS = sa.select(_OUTBOX.c.status).where(_BY_KEY)
_TAKE_FOR_DATA = (
    sa.update(_OUTBOX)
    .where(_BY_KEY, _OUTBOX.c.status.in_(["pending", "held"]))
    .values(
        status="sending",
        sending_at=sa.bindparam("p_at", type_=_OUTBOX.c.sending_at.type),
        attempts=_OUTBOX.c.attempts + 1,
    )
)
_SENT = (
    sa.update(_OUTBOX)
    .where(_BY_KEY)
    .values(
        status="sent",
        subject=sa.bindparam("p_subject", type_=_OUTBOX.c.subject.type),
        sent_at=sa.bindparam("p_at", type_=_OUTBOX.c.sent_at.type),
        last_error="",
        held_since=None,
    )
)


@dataclass(frozen=True)
class Claimed:
    """What a send needs of its outbox row."""

    message_id: str
    status: str
    tracking_id: str


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
) -> Claimed:
    """The outbox row for this key, created pending if it is the first attempt."""
    found = run(session, _CLAIMED, {"p_key": outbox_key}).first()
    if found is not None:
        return Claimed(found.message_id, found.status, found.tracking_id)
    tracking_id = hashlib.sha256(outbox_key.encode()).hexdigest()[:32]
    values = {
        "outbox_key": outbox_key,
        "tracking_id": tracking_id,
        "lead_id": lead_id,
        "kind": kind,
        "scenario": scenario,
        "step": step,
        "rep_id": rep_id,
        "message_id": message_id,
        "subject": "",
        "status": "pending",
        "scheduled_at": scheduled_at,
        "sent_at": None,
        "sending_at": None,
        "attempts": 0,
        "last_error": "",
        "held_since": None,
    }
    run(session, _ADD, params(**values))
    return Claimed(message_id, "pending", tracking_id)


def find(session: Session, outbox_key: str) -> EmailMessage | None:
    return session.exec(select(EmailMessage).where(EmailMessage.outbox_key == outbox_key)).first()


def _row(session: Session, outbox_key: str) -> EmailMessage:
    return session.exec(select(EmailMessage).where(EmailMessage.outbox_key == outbox_key)).one()


def status_of(session: Session, outbox_key: str) -> str:
    status: str = run(session, _STATUS, {"p_key": outbox_key}).scalar_one()
    return status


def sending_at(session: Session, outbox_key: str) -> datetime | None:
    return _row(session, outbox_key).sending_at


def claim_sending(session: Session, outbox_key: str, at: datetime) -> bool:
    """Take the row for DATA; False when another attempt (or a stop) changed it first.

    A compare-and-set: of two attempts alive at once, only one ever sends DATA.
    """
    result = run(session, _TAKE_FOR_DATA, {"p_key": outbox_key, "p_at": at})
    return bool(result.rowcount)


def last_error(session: Session, outbox_key: str) -> str:
    return _row(session, outbox_key).last_error


def mark_sent(session: Session, outbox_key: str, subject: str, at: datetime | None = None) -> str:
    """The relay said 250. Returns the status it had (`uncertain`: it was delivered after all)."""
    before = status_of(session, outbox_key)
    run(session, _SENT, {"p_key": outbox_key, "p_subject": subject, "p_at": at or utcnow()})
    return before


def mark_uncertain(session: Session, outbox_key: str, cause: str) -> bool:
    """A delivery whose fate nobody knows; True if this call made it so (was `sending`)."""
    row = _row(session, outbox_key)
    if row.status != "sending":
        return False
    row.status = "uncertain"
    row.last_error = cause[:500]
    session.add(row)
    return True


UNSENT = ("pending", "held")


def mark_held(
    session: Session,
    outbox_key: str,
    cause: str,
    at: datetime,
    *,
    hold: bool = True,
    claimed: bool = False,
) -> tuple[datetime, bool]:
    """A failed attempt to retry: `held` (relay or configuration) or back to `pending` (the
    recipient's server said later). Returns since when it fails, and whether it just began.

    An attempt that did not take the row for DATA (`claimed`) leaves another attempt's
    `sending` alone."""
    row = _row(session, outbox_key)
    began = row.held_since is None
    row.held_since = row.held_since or at
    if claimed or row.status in UNSENT:
        row.status = "held" if hold else "pending"
        row.last_error = cause[:500]
    session.add(row)
    return row.held_since, began


def mark_failed(session: Session, outbox_key: str, cause: str, *, claimed: bool = False) -> None:
    """Given up: shown in the email KPI and by `nurture outbox`, never silently gone."""
    row = _row(session, outbox_key)
    if not claimed and row.status not in UNSENT:
        return
    row.status = "failed"
    row.last_error = cause[:500]
    row.subject = row.subject or "(not sent)"
    session.add(row)


def skip_unsent(session: Session, lead_id: uuid.UUID, reason: str) -> None:
    """A stopped lead's mail that has not gone (pending or held) never will."""
    rows = session.exec(
        select(EmailMessage).where(
            EmailMessage.lead_id == lead_id, col(EmailMessage.status).in_(["pending", "held"])
        )
    )
    for row in rows.all():
        row.status, row.subject = "skipped", f"(not sent: {reason})"
        session.add(row)


def mark_skipped(session: Session, outbox_key: str, reason: str, status: str = "skipped") -> None:
    row = _row(session, outbox_key)
    row.status = status
    row.subject = f"(not sent: {reason})"
    session.add(row)


@dataclass(frozen=True)
class MailHealth:
    """What ops must know about the outbox: mail waiting on the relay, and mail nobody can
    vouch for. Read by /healthz, the dashboard and `nurture outbox`."""

    held: int
    uncertain: int
    failed: int
    held_since: datetime | None
    last_error: str

    @property
    def ok(self) -> bool:
        return self.held == 0 and self.uncertain == 0 and self.failed == 0

    def summary(self) -> str:
        if self.ok:
            return "ok"
        parts = []
        if self.held:
            since = f" since {self.held_since:%Y-%m-%d %H:%M} UTC" if self.held_since else ""
            parts.append(f"{self.held} held{since} ({self.last_error})")
        if self.uncertain:
            parts.append(f"{self.uncertain} of unknown fate (nurture outbox --status uncertain)")
        if self.failed:
            parts.append(f"{self.failed} given up (nurture outbox --status failed)")
        return "; ".join(parts)


FAILED_ALERT_FOR = timedelta(days=7)  # given-up mail stays an alert this long, or until settled


def health(session: Session, now: datetime | None = None) -> MailHealth:
    status = col(EmailMessage.status)
    recent = (now or utcnow()) - FAILED_ALERT_FOR
    counts = dict(
        session.exec(
            select(status, sa.func.count())
            .where(
                status.in_(["held", "uncertain"])
                | ((status == "failed") & (col(EmailMessage.held_since) >= recent))
            )
            .group_by(status)
        ).all()
    )
    newest = session.exec(
        select(EmailMessage.held_since, EmailMessage.last_error)
        .where(status == "held")
        .order_by(col(EmailMessage.id).desc())
        .limit(1)
    ).first()
    oldest = session.exec(select(sa.func.min(EmailMessage.held_since)).where(status == "held"))
    return MailHealth(
        held=counts.get("held", 0),
        uncertain=counts.get("uncertain", 0),
        failed=counts.get("failed", 0),
        held_since=oldest.one() if newest else None,
        last_error=newest[1] if newest else "",
    )


def listed(session: Session, status: str | None, limit: int = 200) -> list[EmailMessage]:
    """Outbox rows, newest first; every row but the delivered ones when no status is given."""
    query = select(EmailMessage)
    if status:
        query = query.where(EmailMessage.status == status)
    else:
        query = query.where(col(EmailMessage.status).not_in(["sent", "skipped"]))
    return list(session.exec(query.order_by(col(EmailMessage.id).desc()).limit(limit)).all())


def get(session: Session, row_id: int) -> EmailMessage | None:
    return session.get(EmailMessage, row_id)


def resolve(session: Session, row_id: int, delivered: bool, note: str) -> EmailMessage | None:
    """Ops settle an uncertain mail from the relay's log: delivered, or not (then failed)."""
    row = session.get(EmailMessage, row_id)
    if row is None:
        return None
    row.status = "sent" if delivered else "failed"
    row.last_error = note[:500]
    row.held_since = None  # settled by ops: no longer an alert
    if delivered and row.sent_at is None:
        row.sent_at = row.sending_at or utcnow()
    session.add(row)
    return row
