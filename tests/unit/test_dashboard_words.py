"""The scoring review's lift as a manager reads it: an infinite lift is the strongest
sign there is, so the page says "only with", never the "–" of missing data."""

from __future__ import annotations

from api.services.dashboard_words import lift
from nurture.rules.scoring_kpi import RuleKpi


def _rule(with_rule: float | None, without: float | None, lift_: float | None) -> RuleKpi:
    return RuleKpi(
        rule="decision_maker",
        label="Job title: decision maker",
        leads_with=5 if with_rule is not None else 0,
        leads_without=5 if without is not None else 0,
        opportunity_rate_with=None,
        opportunity_rate_without=None,
        win_rate_with=with_rule,
        win_rate_without=without,
        win_lift=lift_,
    )


def test_lift_words() -> None:
    assert lift(_rule(0.5, 0.25, 2.0)).text == "2×"
    assert lift(_rule(0.1, 0.3, 0.33)).text == "0.33×"
    infinite = lift(_rule(0.2, 0.0, None))
    assert infinite.text == "only with" and "infinite" in infinite.title
    assert lift(_rule(0.0, 0.0, None)).text == "–"  # no win either way: nothing to tell
    assert "no lead" in lift(_rule(None, 0.2, None)).title
    assert "every lead" in lift(_rule(0.5, None, None)).title
