"""Campaigns: what a lead source cost, so KPIs can show CPL and ROI."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from nurture.wire_types import Day, Money


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
    cost: Money | None = Field(
        None, description="the whole cost; leave it out when unknown (KPIs show no CPL or ROI)"
    )
    starts_on: Day = None
    ends_on: Day = None

    @model_validator(mode="after")
    def _period(self) -> CampaignIn:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class CampaignOut(CampaignIn):
    key: str
