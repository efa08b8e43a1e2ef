"""Campaigns: what a lead source cost, so KPIs can show CPL and ROI."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response

from api.auth import AdminDep
from api.deps import DbDep
from api.responses import errors
from api.schemas.campaigns import CampaignIn, CampaignOut
from api.services import campaigns as service

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])
KEY = Path(pattern=r"^[A-Za-z0-9_.:-]{1,100}$", description="the `source` leads carry")


@router.put(
    "/{key}",
    response_model=CampaignOut,
    status_code=201,
    responses={200: {"description": "updated"}, **errors(400, 401, 422)},
)
async def put_campaign(
    body: CampaignIn, db: DbDep, _: AdminDep, response: Response, key: str = KEY
) -> CampaignOut:
    """Create or replace a campaign; leads whose `source` is `key` belong to it."""
    created = await service.put_campaign(db, key, body)
    response.status_code = 201 if created else 200
    return CampaignOut(key=key, **body.model_dump())


@router.get("", response_model=list[CampaignOut], responses=errors(401))
async def list_campaigns(db: DbDep, _: AdminDep) -> list[CampaignOut]:
    return await service.list_campaigns(db)
