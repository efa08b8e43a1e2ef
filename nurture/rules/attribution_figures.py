"""The attribution table an executive reads: exact credits rounded so the rows still add
up to the totals, with each campaign's cost and ROI.

Rounding is done once per figure and column by the largest-remainder method: every
campaign gets its share rounded down to the column's unit (0.0001 of an MQL or an
opportunity, a cent of money), and the units left to reach the exact total go one each to
the largest remainders (ties to the earlier key). So the won revenue of the rows sums to
exactly the revenue won, under every model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from nurture.rules.attribution import NO_CAMPAIGN, Credit

COUNT_PLACES = 4  # an MQL credited 0.0667
MONEY_PLACES = 2


def apportion(exact: Mapping[str, Fraction], places: int) -> dict[str, Decimal]:
    """`exact` rounded to `places` decimals, the rounded values adding up to the exact sum
    rounded (half to even) to the same places."""
    unit = 10**places
    scaled = {k: v * unit for k, v in exact.items()}
    floors = {k: math.floor(v) for k, v in scaled.items()}
    left = round(sum(scaled.values(), Fraction(0))) - sum(floors.values())
    by_remainder = sorted(scaled, key=lambda k: (-(scaled[k] - floors[k]), k))
    for key in by_remainder[:left]:
        floors[key] += 1
    quantum = Decimal(1).scaleb(-places)
    return {k: (Decimal(n) / unit).quantize(quantum) for k, n in floors.items()}


@dataclass(frozen=True)
class CampaignInfo:
    key: str
    name: str
    channel: str
    cost: Decimal | None  # None: no cost recorded (no campaign row, or one without a cost)


def roi(revenue: Decimal, cost: Decimal | None) -> Decimal | None:
    """(revenue − cost) / cost; None when the cost is unknown or nothing."""
    if not cost:
        return None
    return ((revenue - cost) / cost).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class AttributedRow:
    key: str
    name: str
    channel: str
    touched_leads: int
    mqls: Decimal
    opportunities: Decimal
    pipeline: Decimal
    won_revenue: Decimal
    cost: Decimal | None

    @property
    def roi(self) -> Decimal | None:
        return roi(self.won_revenue, self.cost)


def _info(key: str, known: Mapping[str, CampaignInfo]) -> CampaignInfo:
    if key in known:
        return known[key]
    return CampaignInfo(key, key or "(no campaign)", "unknown", None)


def rows(
    credits: Mapping[str, Credit],
    touched: Mapping[str, int],
    known: Mapping[str, CampaignInfo],
) -> list[AttributedRow]:
    """One row per campaign that is recorded, touched a lead or earned credit, by key;
    `(no campaign)` (key "") only when it earned credit."""
    keys = sorted(set(known) | set(touched) | set(credits))
    zero = Credit()

    def column(name: str, places: int) -> dict[str, Decimal]:
        return apportion({k: getattr(credits.get(k, zero), name) for k in keys}, places)

    mqls, opportunities = column("mqls", COUNT_PLACES), column("opportunities", COUNT_PLACES)
    pipeline, won = column("pipeline", MONEY_PLACES), column("won_revenue", MONEY_PLACES)
    out = []
    for key in keys:
        if key == NO_CAMPAIGN and key not in credits:
            continue
        info = _info(key, known)
        out.append(
            AttributedRow(
                key=key,
                name=info.name,
                channel=info.channel,
                touched_leads=touched.get(key, 0),
                mqls=mqls[key],
                opportunities=opportunities[key],
                pipeline=pipeline[key],
                won_revenue=won[key],
                cost=info.cost,
            )
        )
    return out


@dataclass(frozen=True)
class AttributedTotal:
    touched_leads: int  # distinct leads: one touched by two campaigns counts once
    mqls: Decimal
    opportunities: Decimal
    pipeline: Decimal
    won_revenue: Decimal
    cost: Decimal  # of the campaigns with a recorded cost
    costed_revenue: Decimal = Decimal("0.00")  # the revenue credited to those campaigns

    @property
    def roi(self) -> Decimal | None:
        """Over the campaigns with a recorded cost only: revenue credited to a campaign of
        unknown cost, or to none, would otherwise inflate it."""
        return roi(self.costed_revenue, self.cost)


def total(table: list[AttributedRow], touched_leads: int) -> AttributedTotal:
    """The sums of the rows (exact: the rows were apportioned from the exact totals)."""
    return AttributedTotal(
        touched_leads=touched_leads,
        mqls=sum((r.mqls for r in table), Decimal("0.0000")),
        opportunities=sum((r.opportunities for r in table), Decimal("0.0000")),
        pipeline=sum((r.pipeline for r in table), Decimal("0.00")),
        won_revenue=sum((r.won_revenue for r in table), Decimal("0.00")),
        cost=sum((r.cost for r in table if r.cost is not None), Decimal("0.00")),
        costed_revenue=sum((r.won_revenue for r in table if r.cost is not None), Decimal("0.00")),
    )
