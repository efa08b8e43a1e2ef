"""Segment identities on leads: which lead a CDP's userId or anonymousId was identified as.

The ids are kept as digests in the lead's attributes, so an id that happens to be an email
address never reaches the workflow's history (attributes travel with the lead's profile).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.tables import Lead

USER_KEY = "segment_user_id"
ANONYMOUS_KEY = "segment_anonymous_id"


def identity_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def leads_by_identities(
    session: Session, user_digests: Iterable[str], anonymous_digests: Iterable[str]
) -> list[Lead]:
    """Leads identified with any of these digests, least recently updated first."""
    users, anonymous = set(user_digests), set(anonymous_digests)
    attributes = col(Lead.attributes)
    clauses = []
    if users:
        clauses.append(attributes[USER_KEY].as_string().in_(users))
    if anonymous:
        clauses.append(attributes[ANONYMOUS_KEY].as_string().in_(anonymous))
    if not clauses:
        return []
    query = select(Lead).where(sa.or_(*clauses)).order_by(col(Lead.updated_at))
    return list(session.exec(query).all())
