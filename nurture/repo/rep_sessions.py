"""Sign-in links and sessions of the /sales workspace (nurture.workspace_tokens): rows keyed
by the hash of a random value, so neither the database nor a URL holds a usable secret."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.tables import RepSession, SignInLink
from nurture.workspace_tokens import SignInRefused, digest


def add_link(
    session: Session,
    email: str,
    value: str,
    now: datetime,
    minutes: float,
    next_path: str | None = None,
) -> None:
    """A link mailed to `email`; `next_path` is the /sales page it leads to once used."""
    session.add(
        SignInLink(
            token_hash=digest(value),
            email=email,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
            next_path=next_path,
        )
    )


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
