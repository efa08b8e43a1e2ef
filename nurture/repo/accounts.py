"""Accounts in the read model: joining a lead to its company, the account list and page,
and the rep who already has an account with sales.

What a company is (its registrable domain, business addresses only) is
nurture.rules.accounts's; the caller passes the domain it found, or None.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from nurture.rules.accounts import account_id
from nurture.tables import Account, AccountHandoff, Handoff, Lead, Rep, utcnow

OPEN_HANDOFFS = ("pending", "accepted", "opportunity")  # the account is with sales


def ensure(session: Session, domain: str, name: str) -> uuid.UUID:
    """The account of `domain`, created the first time (two intakes at once make one)."""
    key = account_id(domain)
    values = {"id": key, "domain": domain, "name": name, "created_at": utcnow()}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Account).values(**values).on_conflict_do_nothing())
    return key


def join(session: Session, lead: Lead, domain: str | None) -> None:
    """Put the lead in its company's account, once (the email, hence the company, stays)."""
    if domain is None or lead.account_id is not None:
        return
    lead.account_id = ensure(session, domain, lead.company)
    session.add(lead)


def backfill(session: Session, domain_of: Callable[[str], str | None]) -> tuple[int, int]:
    """Join every lead without an account to its company's: (leads joined, accounts)."""
    joined, accounts = 0, set()
    rows = session.exec(select(Lead).where(col(Lead.account_id).is_(None))).all()
    for lead in rows:
        domain = domain_of(lead.email)
        if domain is None:
            continue
        join(session, lead, domain)
        joined += 1
        accounts.add(domain)
    session.flush()
    return joined, len(accounts)


@dataclass(frozen=True)
class AccountLead:
    lead_id: uuid.UUID
    stage: str
    score: int
    breakdown: dict[str, int]
    job_title: str
    fit_grade: str | None = None  # as the workflow last wrote them (None: not since the axes)
    engagement: int | None = None


@dataclass(frozen=True)
class AccountRows:
    account: Account
    leads: list[AccountLead]
    rep: tuple[uuid.UUID, str] | None  # the rep an open handoff of the account is with
    handed: AccountHandoff | None = None  # its newest handoff as a whole (a buying group)


def accounts(session: Session, ids: list[uuid.UUID] | None = None) -> dict[uuid.UUID, AccountRows]:
    """The accounts (`ids`, else all of them) with their leads and the rep who has them."""
    query = select(Account)
    if ids is not None:
        query = query.where(col(Account.id).in_(ids))
    found = {a.id: a for a in session.exec(query).all()}
    if not found:
        return {}
    leads: dict[uuid.UUID, list[AccountLead]] = defaultdict(list)
    for row in session.exec(
        select(Lead).where(col(Lead.account_id).in_(list(found))).order_by(col(Lead.created_at))
    ).all():
        assert row.account_id is not None
        leads[row.account_id].append(
            AccountLead(
                row.id,
                row.stage,
                row.score,
                dict(row.score_breakdown or {}),
                row.job_title,
                row.fit_grade,
                row.engagement,
            )
        )
    reps = _holders(session, list(found))
    handed = _handed(session, list(found))
    return {
        i: AccountRows(a, leads.get(i, []), reps.get(i), handed.get(i)) for i, a in found.items()
    }


def _handed(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, AccountHandoff]:
    """Account → its newest handoff as a whole."""
    out: dict[uuid.UUID, AccountHandoff] = {}
    for row in session.exec(
        select(AccountHandoff)
        .where(col(AccountHandoff.account_id).in_(ids))
        .order_by(col(AccountHandoff.claimed_at), col(AccountHandoff.id))
    ).all():
        out[row.account_id] = row  # the newest last
    return out


def _holders(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Account → the rep of its newest open handoff."""
    out: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    for account, rep_id, name in session.exec(
        select(Lead.account_id, Rep.id, Rep.name)
        .join(Handoff, col(Handoff.lead_id) == col(Lead.id))
        .join(Rep, col(Rep.id) == col(Handoff.rep_id))
        .where(col(Lead.account_id).in_(ids), col(Handoff.status).in_(OPEN_HANDOFFS))
        .order_by(col(Handoff.created_at))
    ).all():
        if account is not None:
            out[account] = (rep_id, name)  # the newest last
    return out


def rep_of_account(session: Session, lead_id: uuid.UUID) -> uuid.UUID | None:
    """The rep who has an open handoff of another lead of this lead's account: a later lead
    of a company already with sales goes to the same rep."""
    account = session.exec(select(Lead.account_id).where(Lead.id == lead_id)).first()
    if account is None:
        return None
    query: Any = (
        select(Handoff.rep_id)
        .join(Lead, col(Lead.id) == col(Handoff.lead_id))
        .where(
            Lead.account_id == account,
            Handoff.lead_id != lead_id,
            col(Handoff.status).in_(OPEN_HANDOFFS),
            col(Handoff.rep_id).is_not(None),
        )
        .order_by(col(Handoff.created_at).desc())
        .limit(1)
    )
    found: uuid.UUID | None = session.exec(query).first()
    return found


def count(session: Session) -> int:
    return int(session.exec(select(sa.func.count()).select_from(Account)).one())
