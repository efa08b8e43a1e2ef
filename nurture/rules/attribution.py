"""Multi-touch attribution: how much of each MQL, opportunity and won deal each campaign
earned, under the four models marketing compares.

A lead's journey is its touches in time order (nurture.rules.touches) and its outcomes.
An outcome credits the touches at or before it; a deal (an opportunity and its revenue)
credits the touches up to the moment it became an opportunity, so the touch that created
the opportunity is its last touch, and a touch after it earns nothing of its revenue. A
deal won without an opportunity stage became one when it was won. An outcome with no
touch before it credits `NO_CAMPAIGN`, so the campaigns' credits always add up to the
whole.

Credits are exact fractions; nurture.rules.attribution_figures rounds them once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

NO_CAMPAIGN = ""  # the key credited for an outcome no campaign touched


class AttributionModel(StrEnum):
    FIRST = "first"  # all to the first touch
    LAST = "last"  # all to the last touch
    LINEAR = "linear"  # equal shares
    POSITION = "position"  # 40 % first, 40 % last, 20 % shared by the touches between


EDGE = Fraction(2, 5)  # the position model's share of the first and of the last touch


@dataclass(frozen=True)
class TouchAt:
    campaign: str
    at: datetime


@dataclass(frozen=True)
class Deal:
    """One handoff that became an opportunity (or was won without being one)."""

    opened_at: datetime  # when it became an opportunity; the won time when it skipped that
    pipeline: Decimal = Decimal(0)
    won_at: datetime | None = None
    won: Decimal = Decimal(0)


@dataclass(frozen=True)
class Journey:
    touches: tuple[TouchAt, ...] = ()  # in time order
    mql_at: datetime | None = None  # the first time the lead qualified
    deals: tuple[Deal, ...] = ()


@dataclass
class Credit:
    """A campaign's exact share of the outcomes: fractions of MQLs and opportunities, and
    of their amounts."""

    mqls: Fraction = field(default_factory=Fraction)
    opportunities: Fraction = field(default_factory=Fraction)
    pipeline: Fraction = field(default_factory=Fraction)
    won_revenue: Fraction = field(default_factory=Fraction)


def _weights(model: AttributionModel, n: int) -> list[Fraction]:
    if n == 1:
        return [Fraction(1)]
    if model is AttributionModel.FIRST:
        return [Fraction(1)] + [Fraction(0)] * (n - 1)
    if model is AttributionModel.LAST:
        return [Fraction(0)] * (n - 1) + [Fraction(1)]
    if model is AttributionModel.LINEAR or n == 2:
        return [Fraction(1, n)] * n
    middle = (1 - 2 * EDGE) / (n - 2)
    return [EDGE] + [middle] * (n - 2) + [EDGE]


def shares(model: AttributionModel, campaigns: Sequence[str]) -> dict[str, Fraction]:
    """Each campaign's share of one outcome whose credited touches are `campaigns` (in time
    order, a campaign once per touch); the shares add up to exactly 1."""
    if not campaigns:
        return {NO_CAMPAIGN: Fraction(1)}
    out: dict[str, Fraction] = defaultdict(Fraction)
    for campaign, weight in zip(campaigns, _weights(model, len(campaigns)), strict=True):
        if weight:
            out[campaign] += weight
    return dict(out)


def _before(touches: Sequence[TouchAt], moment: datetime) -> list[str]:
    return [t.campaign for t in touches if t.at <= moment]


def attribute(
    journeys: Iterable[Journey],
    model: AttributionModel,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Credit]:
    """The credit per campaign for the outcomes that happened in [start, end): MQLs that
    qualified, deals that became opportunities (count and pipeline) and deals won (revenue)
    in the window, each credited to the touches before it whenever they were."""

    def within(at: datetime | None) -> bool:
        return at is not None and (start is None or at >= start) and (end is None or at < end)

    credit: dict[str, Credit] = defaultdict(Credit)
    for journey in journeys:
        mql_at = journey.mql_at
        if mql_at is not None and within(mql_at):
            for campaign, share in shares(model, _before(journey.touches, mql_at)).items():
                credit[campaign].mqls += share
        for deal in journey.deals:
            split = shares(model, _before(journey.touches, deal.opened_at))
            opened, won = within(deal.opened_at), within(deal.won_at)
            for campaign, share in split.items():
                if opened:
                    credit[campaign].opportunities += share
                    credit[campaign].pipeline += share * Fraction(deal.pipeline)
                if won:
                    credit[campaign].won_revenue += share * Fraction(deal.won)
    return dict(credit)
