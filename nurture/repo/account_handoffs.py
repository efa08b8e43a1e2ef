"""Handing an account to sales as a whole: the claim that makes it happen once.

Every engaged lead of an account asks, from its workflow, whether the buying group is
ready now. Two such leads may ask at the same moment; the claim takes the account row's
write lock first (a no-op update: a row lock on PostgreSQL, the database's write lock on
SQLite), so the second asker waits and then sees the first one's claim, and each asker has
written its own engagement before it asks (the lead workflow flushes first): no ready
group is missed and none is handed twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.models import NOT_HANDED, NoteRecord
from nurture.repo import leads
from nurture.repo.accounts import OPEN_HANDOFFS
from nurture.rules.accounts import BuyingGroup
from nurture.tables import Account, AccountHandoff, Handoff, Lead, TimelineNote

WON = "won"
# The claim comes first, in the lead's workflow, then its handoff's first record: a claim
# much later than a handoff's start is another (later) one's.
CLAIM_BEFORE_HANDOFF = timedelta(minutes=1)
# Who counts in a buying group: people still in play, with marketing or with sales (and
# lost deals, who may come back). Not the unsubscribed, bounced or disqualified, nor
# customers (won). (Someone with sales keeps the account from being handed as a group.)
COUNTED = (
    "new",
    "nurturing",
    "recycled",
    "lost",
    "mql",
    "sales_pending",
    "sales_accepted",
    "opportunity",
)


@dataclass(frozen=True)
class Claimed:
    """What a check found: `account_id` None when the lead is of no account."""

    account_id: uuid.UUID | None
    claimed: bool = False
    leads: list[uuid.UUID] = field(default_factory=list)  # the carrier first
    engaged: bool = False  # the asking lead itself counts in the group
    why: str = ""


def claim(
    session: Session,
    lead_id: uuid.UUID,
    engagement: int,
    at: datetime,
    group: BuyingGroup,
    engagement_of: Callable[[Lead], int],
) -> Claimed:
    """Claim the lead's account for an account handoff carried by this lead, if its buying
    group is ready and the account is not with sales; `engagement` is the lead's own now,
    `engagement_of` reads the others' from their rows."""
    lead = session.get(Lead, lead_id)
    if lead is None or lead.account_id is None:
        return Claimed(None)
    account = lead.account_id
    engaged_self = engagement >= group.engaged_at
    if not engaged_self:  # only an engaged person can make the group ready
        return Claimed(account, why=f"engagement {engagement} is under {group.engaged_at}")
    # The lock, before anything is read: a concurrent claim of this account waits here.
    session.execute(sa.update(Account).where(col(Account.id) == account).values(name=Account.name))
    own = _newest(session, AccountHandoff.account_id == account)
    if own is not None and own.lead_id == lead_id and (own.ended_at is None or own.outcome == WON):
        # This lead holds it already: a retried check (its answer was lost with a worker)
        # or a reset run asking again gets the same claim, never a leaked one (a reset run
        # then takes over the handoff it started, as it does any handoff of its own).
        order = [uuid.UUID(i) for i in own.leads or []]
        return Claimed(account, claimed=True, leads=order, engaged=True, why=_why(order, group))
    blocked = _blocked(session, account, lead_id)
    if blocked:
        return Claimed(account, engaged=True, why=blocked)
    people = session.exec(
        select(Lead).where(
            Lead.account_id == account,
            sa.or_(col(Lead.id) == lead_id, col(Lead.stage).in_(COUNTED)),
            col(Lead.halted).is_(None),
        )
    ).all()
    points = {p.id: engagement if p.id == lead_id else engagement_of(p) for p in people}
    if not group.qualifies(points):
        n = len(group.engaged(points))
        return Claimed(
            account, engaged=True, why=f"the buying group is not ready: {n} of {group.people}"
        )
    engaged = group.engaged(points)
    others = sorted(
        (p.id for p in people if p.id in engaged and p.id != lead_id),
        key=lambda i: (-points[i], str(i)),
    )
    order = [lead_id, *others]
    session.add(
        AccountHandoff(
            account_id=account,
            lead_id=lead_id,
            leads=[str(i) for i in order],
            engagement=sum(points.values()),
            claimed_at=at,
        )
    )
    for other in order[1:]:
        leads.record_note(
            session,
            NoteRecord(
                lead_id=str(other),
                at=at,
                kind="account",
                text=f"handed to sales with its account's buying group, by lead {lead_id}",
            ),
        )
    return Claimed(account, claimed=True, leads=order, engaged=True, why=_why(order, group))


def _why(order: list[uuid.UUID], group: BuyingGroup) -> str:
    return (
        f"the account's buying group is ready: {len(order)} people engaged "
        f"({group.engaged_at} or more each)"
    )


def _newest(session: Session, *where: Any) -> AccountHandoff | None:
    """The newest account handoff that meets `where` (an account's, a lead's)."""
    found: AccountHandoff | None = session.exec(
        select(AccountHandoff)
        .where(*where)
        .order_by(col(AccountHandoff.claimed_at).desc(), col(AccountHandoff.id).desc())
        .limit(1)
    ).first()
    return found


def _blocked(session: Session, account: uuid.UUID, lead_id: uuid.UUID) -> str:
    """Why the account may not be handed now ('' when it may)."""
    claims = session.exec(
        select(AccountHandoff).where(
            AccountHandoff.account_id == account,
            sa.or_(col(AccountHandoff.ended_at).is_(None), col(AccountHandoff.outcome) == WON),
        )
    ).first()
    if claims is not None:
        return "the account was won" if claims.outcome == WON else "the account is with sales"
    if _any_handoff(session, account, Handoff.status == WON):
        return "the account was won"  # a customer: its people go on their own scores only
    others_open = (Handoff.lead_id != lead_id, col(Handoff.status).in_(OPEN_HANDOFFS))
    if _any_handoff(session, account, *others_open):
        return "another lead of the account is with sales"
    return ""


def _any_handoff(session: Session, account: uuid.UUID, *where: Any) -> bool:
    """Whether a handoff of one of the account's leads meets `where`."""
    found = session.exec(
        select(Handoff.id)
        .join(Lead, col(Lead.id) == col(Handoff.lead_id))
        .where(Lead.account_id == account, *where)
        .limit(1)
    ).first()
    return found is not None


def end(session: Session, lead_id: uuid.UUID, at: datetime, outcome: str) -> None:
    """The carrier's handoff ended: its open account handoff ends with it. NOT_HANDED (the
    lead stopped before any handoff began): the claim is taken back, as if never made,
    with the notes it left on the other people's timelines."""
    held = holding(session, lead_id)
    if held is None:
        return
    if outcome != NOT_HANDED:
        held.ended_at, held.outcome = at, outcome
        session.add(held)
        return
    others = [uuid.UUID(i) for i in held.leads or [] if i != str(lead_id)]
    session.execute(
        sa.delete(TimelineNote).where(
            col(TimelineNote.lead_id).in_(others),
            col(TimelineNote.kind) == "account",
            col(TimelineNote.at) == held.claimed_at,
        )
    )
    session.delete(held)


def holding(session: Session, lead_id: uuid.UUID) -> AccountHandoff | None:
    """The open account handoff this lead carries, if any."""
    found: AccountHandoff | None = session.exec(
        select(AccountHandoff).where(
            AccountHandoff.lead_id == lead_id, col(AccountHandoff.ended_at).is_(None)
        )
    ).first()
    return found


def account_name(session: Session, lead: Lead) -> str:
    """The company as a rep reads it: as its first lead gave it, else its domain."""
    account = session.get(Account, lead.account_id) if lead.account_id else None
    if account is None:
        return lead.company
    return account.name or account.domain


def group_of(session: Session, handoff: Handoff) -> list[Lead]:
    """The other engaged people of the account this handoff carries, as claimed (none: a
    handoff of one lead); a claim that ended before the handoff began is another one's."""
    found = _newest(session, AccountHandoff.lead_id == handoff.lead_id)  # this lead's newest
    if found is None or (found.ended_at is not None and found.ended_at < handoff.created_at):
        return []
    if found.claimed_at > handoff.created_at + CLAIM_BEFORE_HANDOFF:  # a later claim's
        return []
    others = [uuid.UUID(i) for i in found.leads or [] if i != str(handoff.lead_id)]
    rows = {p.id: p for p in session.exec(select(Lead).where(col(Lead.id).in_(others))).all()}
    return [rows[i] for i in others if i in rows]
