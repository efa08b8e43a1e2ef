"""Accounts from the read model, with the figures of scenarios/scoring.py's buying group:
who counts as engaged, and whether enough of them are."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from api.database import Database
from api.errors import NotFound
from api.schemas.accounts import (
    AccountDetail,
    AccountHandedOver,
    AccountLead,
    AccountPage,
    AccountSummary,
)
from nurture.repo import accounts as repo
from nurture.repo.account_handoffs import COUNTED
from nurture.rules.rep_words import lead_axes
from scenarios.scoring import BUYING_GROUP, MODEL


@dataclass(frozen=True)
class AccountFilters:
    ready: bool | None = None
    with_sales: bool | None = None
    limit: int = 50
    offset: int = 0


def _detail(rows: repo.AccountRows) -> AccountDetail:
    stages = {lead.lead_id: lead.stage for lead in rows.leads}
    points = {  # each lead's engagement as its own page shows it
        lead.lead_id: lead_axes(lead.fit_grade, lead.engagement, lead.breakdown, MODEL)[1]
        for lead in rows.leads
    }
    counted = {i: p for i, p in points.items() if stages[i] in COUNTED}  # as the claim does
    engaged = BUYING_GROUP.engaged(counted)
    rep_id, rep = rows.rep if rows.rep else (None, None)
    handed = rows.handed
    return AccountDetail(
        id=rows.account.id,
        name=rows.account.name,
        domain=rows.account.domain,
        leads=len(rows.leads),
        engaged_leads=len(engaged),
        engagement=sum(points.values()),
        buying_group_ready=BUYING_GROUP.qualifies(counted),
        with_sales=rows.rep is not None,
        rep_id=rep_id,
        rep=rep,
        customer=any(lead.stage == "won" for lead in rows.leads)
        or (handed is not None and handed.outcome == "won"),
        handed_over=AccountHandedOver(
            lead_id=handed.lead_id,
            leads=[uuid.UUID(i) for i in handed.leads or []],
            at=handed.claimed_at,
            outcome=handed.outcome,
        )
        if handed is not None
        else None,
        members=[
            AccountLead(
                id=lead.lead_id,
                stage=lead.stage,
                score=lead.score,
                engagement=points[lead.lead_id],
                engaged=lead.lead_id in engaged,
                job_title=lead.job_title,
            )
            for lead in rows.leads
        ],
    )


def _page(session: Session, filters: AccountFilters) -> AccountPage:
    details = [_detail(rows) for rows in repo.accounts(session).values()]
    if filters.ready is not None:
        details = [d for d in details if d.buying_group_ready == filters.ready]
    if filters.with_sales is not None:
        details = [d for d in details if d.with_sales == filters.with_sales]
    details.sort(key=lambda d: (-d.engagement, -d.leads, d.name, str(d.id)))
    chosen = details[filters.offset : filters.offset + filters.limit]
    return AccountPage(
        total=len(details),
        items=[AccountSummary(**d.model_dump(exclude={"members"})) for d in chosen],
    )


def top(session: Session, n: int = 10) -> tuple[AccountPage, int, int]:
    """The `n` most engaged accounts, and how many are ready and with sales in all."""
    every = _page(session, AccountFilters(limit=1_000_000))
    ready = sum(a.buying_group_ready for a in every.items)
    with_sales = sum(a.with_sales for a in every.items)
    return AccountPage(total=every.total, items=every.items[:n]), ready, with_sales


def _one(session: Session, account_id: uuid.UUID) -> AccountDetail:
    found = repo.accounts(session, [account_id]).get(account_id)
    if found is None:
        raise NotFound(f"no account with id {account_id}")
    return _detail(found)


async def page(db: Database, filters: AccountFilters) -> AccountPage:
    return await db.run(_page, filters)


async def detail(db: Database, account_id: uuid.UUID) -> AccountDetail:
    return await db.run(_one, account_id)
