"""Campaigns: what a lead source cost, so KPIs can show CPL and ROI."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, model_validator

from api.deps import AdminDep, SessionDep
from api.responses import errors
from nurture.repo import kpi
from nurture.tables import Campaign, utcnow
from nurture.wire_types import Day, Money

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


class Channel(StrEnum):
    SEO = "seo"
    ADS = "ads"
    OWNED_MEDIA = "owned_media"
    WHITEPAPER = "whitepaper"
    WEBINAR = "webinar"
    EXPO = "expo"
    SEMINAR = "seminar"
    BUSINESS_CARDS = "business_cards"
    EMAIL = "email"
    SOCIAL = "social"
    REFERRAL = "referral"
    OTHER = "other"


class CampaignIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    channel: Channel
    cost: Money
    starts_on: Day = None
    ends_on: Day = None

    @model_validator(mode="after")
    def _period(self) -> CampaignIn:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class CampaignOut(CampaignIn):
    key: str


KEY = Path(pattern=r"^[A-Za-z0-9_.:-]{1,100}$", description="the `source` leads carry")


@router.put(
    "/{key}",
    response_model=CampaignOut,
    status_code=201,
    responses={200: {"description": "updated"}, **errors(400, 401, 422)},
)
def put_campaign(
    body: CampaignIn, session: SessionDep, _: AdminDep, response: Response, key: str = KEY
) -> CampaignOut:
    """Create or replace a campaign; leads whose `source` is `key` belong to it."""
    created = kpi.upsert_campaign(
        session, Campaign(key=key, **body.model_dump(), updated_at=utcnow())
    )
    response.status_code = 201 if created else 200
    return CampaignOut(key=key, **body.model_dump())


@router.get("", response_model=list[CampaignOut], responses=errors(401))
def list_campaigns(session: SessionDep, _: AdminDep) -> list[CampaignOut]:
    return [
        CampaignOut(
            key=c.key,
            name=c.name,
            channel=Channel(c.channel),
            cost=c.cost,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
        )
        for c in kpi.list_campaigns(session)
    ]
