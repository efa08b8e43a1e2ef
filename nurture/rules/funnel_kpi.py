"""Funnel and campaign figures: stage-to-stage rates, cost per lead and per MQL, ROI.

Pure arithmetic over the counts `nurture/repo/kpi.py` reads; the API and the dashboard
show these numbers, so they are computed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import BaseModel, Field

FUNNEL = ("new", "nurturing", "mql", "sales_pending", "sales_accepted", "opportunity", "won")
SALES_STAGES = FUNNEL[FUNNEL.index("sales_pending") :]  # handed off, and on


LATER = {stage: FUNNEL[i:] for i, stage in enumerate(FUNNEL)}


def up_to(stage: str) -> tuple[str, ...]:
    """The funnel stages a lead in `stage` has reached: it and all before it."""
    return FUNNEL[: FUNNEL.index(stage) + 1]


# Leads in sales' hands and how far they got, counted the same way by every KPI
# (nurture.repo.sales_reach). (A comment, not a docstring: the API documents this model.)
class SalesCounts(BaseModel):
    handed_off: int = Field(0, description="leads handed to sales")
    accepted: int = Field(0, description="of them, acknowledged by sales")
    opportunities: int = Field(0, description="of them, with an opportunity (a win counts too)")
    won: int = Field(0, description="of them, won")


@dataclass
class Funnel:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FUNNEL, 0))

    def rate(self, stage: str) -> float | None:
        """Share of the previous stage that reached `stage`."""
        i = FUNNEL.index(stage)
        if i == 0:
            return None
        before = self.counts[FUNNEL[i - 1]]
        return round(self.counts[stage] / before, 4) if before else None

    def of_new(self, stage: str) -> float | None:
        new = self.counts["new"]
        return round(self.counts[stage] / new, 4) if new else None


@dataclass(frozen=True)
class CampaignRow:
    key: str
    name: str
    channel: str
    cost: Decimal | None  # None: not recorded (unknown), not free
    leads: int
    mqls: int
    opportunities: int
    won: int
    revenue: Decimal
    handed_off: int = 0
    accepted: int = 0

    @property
    def cpl(self) -> Decimal | None:
        return _per(self.cost, self.leads)

    @property
    def cost_per_mql(self) -> Decimal | None:
        return _per(self.cost, self.mqls)

    @property
    def roi(self) -> Decimal | None:
        """(revenue - cost) / cost; None when the cost is unknown or nothing (free)."""
        if not self.cost:
            return None
        return ((self.revenue - self.cost) / self.cost).quantize(Decimal("0.0001"))


def _per(cost: Decimal | None, n: int) -> Decimal | None:
    """Cost per one of `n`; None when the cost is unknown or there is none of them."""
    return (cost / n).quantize(Decimal("0.01")) if cost is not None and n else None
