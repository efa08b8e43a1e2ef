"""The scoring review: which scoring rules predict deals, from the leads sales decided on.

The data layer (nurture.repo.kpi_sales) fetches who was handed off, who reached an
opportunity or a win, and which rules each lead triggered; the rates and the lift are
worked out here, without a database, so the review's arithmetic is tested on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field

from pydantic import BaseModel

from nurture.rules.funnel_kpi import SalesCounts


# One scoring rule: opportunity and win rates of leads that triggered it vs the rest.
# (A comment, not a docstring: the API documents this model as it was.)
class RuleKpi(BaseModel):
    rule: str
    label: str
    leads_with: int
    leads_without: int
    opportunity_rate_with: float | None
    opportunity_rate_without: float | None
    win_rate_with: float | None
    win_rate_without: float | None
    win_lift: float | None


@dataclass(frozen=True)
class ScoringHistory:
    """The handed-off leads of a period and what became of them.

    `breakdowns`: each lead's current score breakdown (rule key → points); `triggered`:
    event type → leads with scored events of it (behaviour points are reset when a lead is
    recycled, what it did stays in its events); `opportunities` and `wins`: the leads that
    reached that stage (a win counts as an opportunity too); `sales`: those counts.
    """

    breakdowns: Mapping[uuid.UUID, Mapping[str, int] | None]
    triggered: Mapping[str, Set[uuid.UUID]]
    opportunities: Set[uuid.UUID]
    wins: Set[uuid.UUID]
    sales: SalesCounts = field(default_factory=SalesCounts)


def scoring_review(
    history: ScoringHistory, rules: Sequence[str], label_of: Callable[[str], str]
) -> list[RuleKpi]:
    """Per rule, in the order given: the rates with and without it, and the win lift."""
    everyone = set(history.breakdowns)
    opportunities = set(history.opportunities) | set(history.wins)
    out = []
    for rule in rules:
        with_rule = leads_with(history, rule)
        without = everyone - with_rule
        win_with, win_without = rate(with_rule, history.wins), rate(without, history.wins)
        out.append(
            RuleKpi(
                rule=rule,
                label=label_of(rule),
                leads_with=len(with_rule),
                leads_without=len(without),
                opportunity_rate_with=rate(with_rule, opportunities),
                opportunity_rate_without=rate(without, opportunities),
                win_rate_with=win_with,
                win_rate_without=win_without,
                win_lift=lift(win_with, win_without),
            )
        )
    return out


def leads_with(history: ScoringHistory, rule: str) -> set[uuid.UUID]:
    """The leads that triggered `rule`: points for it now, or scored events of it (behaviour
    points are reset when a lead is recycled; what it did stays in its events)."""
    with_rule = {i for i, b in history.breakdowns.items() if (b or {}).get(rule)}
    return with_rule | set(history.triggered.get(rule, set()))


def rate(group: Set[uuid.UUID], hits: Set[uuid.UUID]) -> float | None:
    """The share of `group` in `hits`, 4 places; None for an empty group."""
    return share(len(group & hits), len(group))


def share(part: int, whole: int) -> float | None:
    """`part` of `whole`, 4 places; None for nothing to share."""
    return round(part / whole, 4) if whole else None


def lift(with_rule: float | None, without: float | None) -> float | None:
    """How many times likelier a win is with the rule; None when either side has no rate."""
    if with_rule is None or not without:
        return None
    return round(with_rule / without, 2)
