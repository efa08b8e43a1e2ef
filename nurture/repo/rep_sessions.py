"""Sign-in links and sessions of the /sales workspace (nurture.workspace_tokens): rows keyed
by the hash of a random value, so neither the database nor a URL holds a usable secret.

An address gets at most one new link a minute while its last one is unused (asking again
and again mails nothing more), and adding a link clears the links and sessions that have
expired, so the tables hold only what can still be used (or says "already used")."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.tables import RepSession, SignInLink
from nurture.workspace_tokens import SignInRefused, digest

RESEND_AFTER = timedelta(seconds=60)  # no new link while a younger unused one is out


def add_link(
    session: Session,
    email: str,
    value: str,
    now: datetime,
    minutes: float,
    next_path: str | None = None,
) -> bool:
    """A link to mail to `email`, unless one still unused went out in the last minute
    (False: mail nothing); `next_path` is the /sales page it leads to once used."""
    _clear_expired(session, now)
    recent = session.exec(
        select(SignInLink.id).where(
            SignInLink.email == email,
            col(SignInLink.used_at).is_(None),
            col(SignInLink.created_at) > now - RESEND_AFTER,
            col(SignInLink.expires_at) > now,
        )
    ).first()
    if recent is not None:
        return False
    session.add(
        SignInLink(
            token_hash=digest(value),
            email=email,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
            next_path=next_path,
        )
    )
    return True


def _clear_expired(session: Session, now: datetime) -> None:
    """Links and sessions past their expiry can do nothing more: delete them."""
    session.execute(sa.delete(SignInLink).where(col(SignInLink.expires_at) <= now))
    session.execute(sa.delete(RepSession).where(col(RepSession.expires_at) <= now))


def _link(session: Session, value: str, now: datetime) -> SignInLink:
    link = session.exec(select(SignInLink).where(SignInLink.token_hash == digest(value))).first()
    if link is None:
        raise SignInRefused("invalid")
    if link.used_at is not None:
        raise SignInRefused("used")
    if link.expires_at <= now:
        raise SignInRefused("expired")
    return link


def peek_link(session: Session, value: str, now: datetime) -> str:
    """The address a usable link was sent to, without using it; else SignInRefused."""
    return _link(session, value, now).email


def use_link(session: Session, value: str, now: datetime) -> tuple[str, str | None]:
    """Use the link once: the address it was sent to and the page it leads to. A second
    use, even racing the first in another request, is SignInRefused('used')."""
    link = _link(session, value, now)
    taken = session.execute(
        sa.update(SignInLink)
        .where(col(SignInLink.id) == link.id, col(SignInLink.used_at).is_(None))
        .values(used_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise SignInRefused("used")
    return link.email, link.next_path


def start(session: Session, email: str, value: str, now: datetime, hours: float) -> None:
    session.add(
        RepSession(
            token_hash=digest(value),
            email=email,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )


def current(session: Session, value: str, now: datetime) -> RepSession | None:
    """The session a cookie names, while it has neither ended nor expired."""
    row = session.exec(select(RepSession).where(RepSession.token_hash == digest(value))).first()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    return row


def end(session: Session, value: str, now: datetime) -> None:
    row = session.exec(select(RepSession).where(RepSession.token_hash == digest(value))).first()
    if row is not None and row.ended_at is None:
        row.ended_at = now
        session.add(row)
