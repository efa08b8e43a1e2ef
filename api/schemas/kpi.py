"""The KPI reports, and the filters every KPI takes (creation days and the leads' campaign).

The SLA figures and the scoring-review rows are the rules' own types (nurture.rules), so a
figure is declared once, where it is computed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from nurture.rules.funnel_kpi import SalesCounts
from nurture.rules.scoring_kpi import RuleKpi
from nurture.rules.sla_kpi import SlaFigures
from nurture.rules.trends import Granularity, Trend
from nurture.wire_types import QueryDay

From = Annotated[
    QueryDay, Query(alias="from", description="first day, in the SLA calendar's time zone")
]
To = Annotated[
    QueryDay,
    Query(alias="to", description="last day, in the SLA calendar's time zone; not before `from`"),
]
CampaignKey = Annotated[str | None, Query(max_length=100)]
Bucket = Annotated[
    Granularity, Query(alias="period", description="bucket size: weeks (from Monday) or months")
]


class StageCount(BaseModel):
    stage: str
    count: int
    rate_from_previous: float | None
    rate_from_new: float | None


class FunnelOut(BaseModel):
    stages: list[StageCount]


class FunnelReport(BaseModel):
    start: date | None
    end: date | None
    campaign: str | None
    overall: FunnelOut
    by_campaign: dict[str, FunnelOut]


class CampaignKpi(BaseModel):
    key: str
    name: str
    channel: str
    cost: Decimal | None = Field(description="null: not recorded (unknown); 0: free")
    leads: int
    cpl: Decimal | None = Field(description="null when the cost is unknown or no leads")
    mqls: int
    cost_per_mql: Decimal | None
    handed_off: int
    accepted: int
    opportunities: int
    won: int
    revenue: Decimal
    roi: Decimal | None = Field(description="(revenue - cost) / cost; null when cost unknown or 0")


class SlaReport(BaseModel):
    start: date | None = None
    end: date | None = None
    campaign: str | None = None
    as_of: datetime = Field(description="the moment open clocks were judged against")
    leads: SalesCounts = Field(description="the leads of these handoffs, and how far they got")
    overall: SlaFigures
    by_rep: dict[str, SlaFigures]
    reject_reasons: dict[str, int]


class ScoringReport(BaseModel):
    start: date | None = None
    end: date | None = None
    campaign: str | None = None
    leads: SalesCounts = Field(description="the leads compared: handed off in the range")
    rules: list[RuleKpi]
    reject_reasons: dict[str, int]


class StepEmailKpi(BaseModel):
    scenario: str
    step: str
    label: str = Field(description="scenario / step, as the dashboard shows it")
    sent: int
    delivered: int
    bounced: int
    unique_opens: int
    unique_clicks: int
    unsubscribes: int
    open_rate: float | None
    click_rate: float | None
    unsubscribe_rate: float | None
    bounce_rate: float | None
    uncertain: int = Field(
        0,
        description="handed to the relay by a worker that died before the answer: never "
        "re-sent, maybe delivered (see `nurture outbox --status uncertain`)",
    )
    held: int = Field(0, description="waiting for the relay or the SMTP settings to be fixed")
    failed: int = Field(0, description="given up after NURTURE_SMTP_HOLD_DAYS: not delivered")


class TrendReport(BaseModel):
    period: Granularity
    zone: str = Field(description="the time zone of the buckets' days: the SLA calendar's")
    start: date | None = None
    end: date | None = None
    campaign: str | None = None
    overall: Trend
    by_campaign: dict[str, Trend] = Field(description="per campaign, on the overall's buckets")
