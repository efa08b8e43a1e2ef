"""Accounts: the leads of one company (business email domain), for marketing and ops."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import AdminDep
from api.deps import DbDep
from api.responses import errors
from api.schemas.accounts import AccountDetail, AccountPage
from api.services import accounts as service

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
MAX_OFFSET = 1_000_000


@router.get("", response_model=AccountPage, responses=errors(401, 422))
async def list_accounts(
    db: DbDep,
    _: AdminDep,
    ready: bool | None = None,
    with_sales: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AccountPage:
    """Accounts, the most engaged first; `ready`: only those whose buying group is (or is
    not) ready, `with_sales`: only those a rep has (or has not)."""
    return await service.page(db, service.AccountFilters(ready, with_sales, limit, offset))


@router.get(
    "/{account_id}",
    response_model=AccountDetail,
    responses=errors(401, 422, e404="no such account"),
)
async def get_account(account_id: uuid.UUID, db: DbDep, _: AdminDep) -> AccountDetail:
    """The account, its leads with their engagement, and the rep who has it."""
    return await service.detail(db, account_id)
