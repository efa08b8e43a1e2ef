"""Funnel and campaign figures: stage-to-stage rates, cost per lead and per MQL, ROI.

Pure arithmetic over the counts `nurture/repo/kpi.py` reads; the API and the dashboard
show these numbers, so they are computed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

FUNNEL = ("new", "nurturing", "mql", "sales_pending", "sales_accepted", "opportunity", "won")


LATER = {stage: FUNNEL[i:] for i, stage in enumerate(FUNNEL)}


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
    cost: Decimal
    leads: int
    mqls: int
    opportunities: int
    won: int
    revenue: Decimal

    @property
    def cpl(self) -> Decimal | None:
        return (self.cost / self.leads).quantize(Decimal("0.01")) if self.leads else None

    @property
    def cost_per_mql(self) -> Decimal | None:
        return (self.cost / self.mqls).quantize(Decimal("0.01")) if self.mqls else None

    @property
    def roi(self) -> Decimal | None:
        if not self.cost:
            return None
        return ((self.revenue - self.cost) / self.cost).quantize(Decimal("0.0001"))
