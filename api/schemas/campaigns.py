"""Campaigns: what a lead source cost, so KPIs can show CPL and ROI."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from nurture.rules.content_links import WEB_URL, is_web_url
from nurture.wire_types import Day, Money


def _web_url(value: str) -> str:
    if not is_web_url(value):
        raise ValueError("must be an absolute http(s) URL, like https://www.example.com/guide")
    return value


WebUrl = Annotated[
    str,
    Field(max_length=2000),
    AfterValidator(_web_url),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{WEB_URL.pattern}$",
            "maxLength": 2000,
            "description": "an absolute http(s) URL",
        }
    ),
]
LinkName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


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


class CampaignAsset(BaseModel):
    """The content the campaign offers: the whitepaper, the webinar (its page)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300, examples=["The DX Guide 2026"])
    url: WebUrl = Field(examples=["https://www.example.com/resources/dx-guide.pdf"])


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # `costs` is refused, not read as no cost

    name: str = Field(min_length=1, max_length=200)
    channel: Channel
    cost: Money | None = Field(
        None, description="the whole cost; leave it out when unknown (KPIs show no CPL or ROI)"
    )
    starts_on: Day = None
    ends_on: Day = None
    asset: CampaignAsset | None = Field(
        default=None,
        description="what the campaign's mails name and link (a webinar campaign's: the "
        "webinar; any other's: the paper or document)",
    )
    links: dict[LinkName, WebUrl] = Field(
        default_factory=dict,
        max_length=20,
        json_schema_extra={"additionalProperties": False},
        description="named links the mails use, e.g. a webinar's `recording` and `slides`",
        examples=[
            {
                "recording": "https://video.example.com/dx-live",
                "slides": "https://www.example.com/dx-live.pdf",
            }
        ],
    )

    @model_validator(mode="after")
    def _period(self) -> CampaignIn:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class CampaignOut(CampaignIn):
    key: str

    def columns(self) -> dict[str, Any]:
        """The table's columns (the asset is two of them)."""
        return {
            **self.model_dump(exclude={"asset"}),
            "asset_title": self.asset.title if self.asset else None,
            "asset_url": self.asset.url if self.asset else None,
        }
