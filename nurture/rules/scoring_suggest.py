"""Proposals for the weekly scoring review: per rule, how much likelier an opportunity and a
win are with it, with a 95% confidence interval, and a point change where the data
supports one.

The interval is the risk ratio's (Katz's log method; with a zero count every cell of
the two-by-two table takes half a lead, so the interval stays finite). A rule is worth
more points when even the low end of its interval is above 1 (leads with it win more
often), fewer when the high end is below 1; otherwise the data cannot tell, and the rule
keeps its points. The size of a change is 5 points per doubling of the lift, at least 5
and at most 15: a proposal for people to accept or reject as a code change, not a fitted
model. A change never takes a rule past zero (it proposes to remove the rule instead).
Below the floors (MIN_LEADS on each side, MIN_HITS wins or opportunities in all) it says
so instead. With some twenty rules and two outcomes at 95%, about one proposal a review
may be chance; and the leads compared are those sales saw, all of which crossed the
threshold, so rules look like substitutes for each other more than they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nurture.rules.scoring_kpi import ScoringHistory, leads_with

MIN_LEADS = 10  # leads with the rule, and without it, before a proposal
MIN_HITS = 5  # wins (else opportunities) among all the leads, before a proposal
Z95 = 1.959964
STEP = 5
MAX_STEPS = 3


@dataclass(frozen=True)
class Lift:
    """How many times likelier the outcome is with the rule than without, and its 95% CI."""

    ratio: float
    low: float
    high: float
    hits_with: int
    hits_without: int


@dataclass(frozen=True)
class RuleProposal:
    rule: str
    label: str
    points: int  # what the rule gives now
    leads_with: int
    leads_without: int
    opportunity: Lift | None
    won: Lift | None
    basis: str | None  # "won" or "opportunity": the lift the proposal rests on
    verdict: str  # raise | lower | remove | keep | not enough data
    suggested_points: int | None  # None: no change proposed

    @property
    def sample(self) -> str:
        return f"{self.leads_with} with, {self.leads_without} without"


def lift(hits_with: int, n_with: int, hits_without: int, n_without: int) -> Lift | None:
    """The risk ratio of the outcome with vs without the rule; None when a side is empty."""
    if not n_with or not n_without:
        return None
    a, b, n1, n2 = float(hits_with), float(hits_without), float(n_with), float(n_without)
    if hits_with == 0 or hits_without == 0:
        a, b, n1, n2 = a + 0.5, b + 0.5, n1 + 1, n2 + 1  # half a lead in each cell
    ratio = (a / n1) / (b / n2)
    se = math.sqrt(max(1 / a - 1 / n1 + 1 / b - 1 / n2, 0.0))
    return Lift(
        ratio=round(ratio, 2),
        low=round(math.exp(math.log(ratio) - Z95 * se), 2),
        high=round(math.exp(math.log(ratio) + Z95 * se), 2),
        hits_with=hits_with,
        hits_without=hits_without,
    )


def change(points: int, basis: Lift) -> tuple[str, int | None]:
    """The verdict and the points proposed, from the lift the proposal rests on."""
    if basis.low > 1:
        sign = 1
    elif basis.high < 1:
        sign = -1
    else:
        return "keep", None
    steps = min(MAX_STEPS, max(1, round(abs(math.log2(basis.ratio)))))
    proposed = points + sign * steps * STEP
    if points * proposed < 0 or (points and not proposed):
        return "remove", 0  # never past zero: a rule that flips its sign is another rule
    return ("raise" if sign > 0 else "lower"), proposed


def proposals(
    history: ScoringHistory,
    rules: Sequence[tuple[str, int]],
    label_of: Callable[[str], str],
) -> list[RuleProposal]:
    """Per (rule, points now), in the order given, over the leads sales decided on."""
    everyone = set(history.breakdowns)
    opportunities = (set(history.opportunities) | set(history.wins)) & everyone
    wins = set(history.wins) & everyone
    out = []
    for rule, points in rules:
        with_rule = leads_with(history, rule) & everyone
        without = everyone - with_rule
        by_outcome = {
            name: lift(len(with_rule & hits), len(with_rule), len(without & hits), len(without))
            for name, hits in (("opportunity", opportunities), ("won", wins))
        }
        basis = "won" if len(wins) >= MIN_HITS else "opportunity"
        enough = (
            len(with_rule) >= MIN_LEADS
            and len(without) >= MIN_LEADS
            and len(wins if basis == "won" else opportunities) >= MIN_HITS
        )
        base = by_outcome[basis]
        verdict, suggested = change(points, base) if enough and base else ("not enough data", None)
        out.append(
            RuleProposal(
                rule=rule,
                label=label_of(rule),
                points=points,
                leads_with=len(with_rule),
                leads_without=len(without),
                opportunity=by_outcome["opportunity"],
                won=by_outcome["won"],
                basis=basis if enough else None,
                verdict=verdict,
                suggested_points=suggested,
            )
        )
    return out
