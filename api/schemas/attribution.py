"""The multi-touch attribution report: what each campaign earned under one model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from nurture.rules.attribution import AttributionModel
from nurture.wire_types import QueryDay

ModelQuery = Annotated[
    AttributionModel,
    Query(
        description="first: all to the first touch; last: all to the last; linear: equal "
        "shares; position: 40 % first, 40 % last, 20 % shared by the touches between"
    ),
]
OutcomeFrom = Annotated[
    QueryDay,
    Query(alias="from", description="first business day (SLA calendar) of the outcomes counted"),
]
OutcomeTo = Annotated[
    QueryDay,
    Query(alias="to", description="last business day of the outcomes counted; not before `from`"),
]


class AttributedCampaign(BaseModel):
    key: str = Field(description='the campaign key; "" for outcomes no campaign touched')
    name: str
    channel: str
    touched_leads: int = Field(description="distinct leads it touched in the range")
    mqls: Decimal = Field(description="its share of the leads that qualified in the range")
    opportunities: Decimal = Field(description="its share of the opportunities of the range")
    pipeline: Decimal = Field(description="its share of those opportunities' amounts")
    won_revenue: Decimal = Field(description="its share of the revenue won in the range")
    cost: Decimal | None = Field(description="the cost recorded; null when none is")
    roi: Decimal | None = Field(description="(won_revenue − cost) / cost; null without a cost")


class AttributionTotal(BaseModel):
    touched_leads: int = Field(description="distinct leads any campaign touched in the range")
    mqls: Decimal
    opportunities: Decimal
    pipeline: Decimal
    won_revenue: Decimal = Field(description="all revenue won in the range: the rows' sum")
    cost: Decimal = Field(description="the campaigns' recorded costs")
    roi: Decimal | None = Field(
        description="over the campaigns with a recorded cost: (their won revenue − cost) / cost"
    )


class AttributionReport(BaseModel):
    model: AttributionModel
    start: date | None
    end: date | None
    campaigns: list[AttributedCampaign]
    total: AttributionTotal
