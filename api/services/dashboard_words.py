"""Figures of the dashboard worded for a manager: where the JSON says null, the page says
why, so an undefined figure never reads as "no data"."""

from __future__ import annotations

from dataclasses import dataclass

from nurture.rules.scoring_kpi import RuleKpi

REVERSED_RANGE = "The end date is before the start date: nothing to show."


@dataclass(frozen=True)
class Worded:
    text: str
    title: str  # the tooltip that explains the text


def lift(rule: RuleKpi) -> Worded:
    """The win lift of a scoring rule. When no lead without the rule won, the lift is
    infinite: the rule is the strongest sign there is, not a gap in the data."""
    with_rule, without = rule.win_rate_with, rule.win_rate_without
    if rule.win_lift is not None:
        return Worded(f"{rule.win_lift:g}×", "how many times likelier a win is with the rule")
    if with_rule is None:
        return Worded("–", "no lead handed off triggered this rule")
    if without is None:
        return Worded("–", "every lead handed off triggered this rule: nothing to compare with")
    if with_rule > 0:
        return Worded(
            "only with",
            "wins came only from leads with this rule (none without it): the lift is infinite (∞)",
        )
    return Worded("–", "no win with or without this rule yet")
