"""The two axes: fit (attribute points, graded A-D) and engagement (behaviour points), and
an MQL rule that needs both. Known answers worked out by hand from a small model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurture.authoring import FitGrades, MqlRule
from nurture.models import BehaviourEvent, LeadProfile
from nurture.rules.score_state import ScoreRequest, ScoreState
from nurture.rules.scoring import AttributeRule, BehaviourRule, Decay, ScoringModel
from scenarios.scoring import MODEL

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

RULES = {
    "attribute_rules": (
        AttributeRule("decision_maker", "Decision maker", 20, "job_title", contains_any=("ceo",)),
        AttributeRule("top_industry", "Top industry", 15, "industry", equals_any=("saas",)),
        AttributeRule("student", "Student", -30, "job_title", contains_any=("student",)),
    ),
    "behaviour_rules": (
        BehaviourRule("pricing_page_view", "Pricing", 15, cap=30),
        BehaviourRule("webinar_attended", "Webinar", 20),
    ),
}
# Fit B or better (20+) and engagement 40+: the example.
COMBINED = ScoringModel(
    mql_threshold=60,
    fit_grades=FitGrades(a=35, b=20, c=0),
    mql_rule=MqlRule(fit_at_least="B", engagement_at_least=40),
    decay=Decay(after=timedelta(days=90), factor=0.5),
    **RULES,  # type: ignore[arg-type]
)
TOTAL = ScoringModel(mql_threshold=60, **RULES)  # type: ignore[arg-type]


def ev(type: str, n: int = 0) -> BehaviourEvent:
    return BehaviourEvent(event_id=f"{type}-{n}", type=type, occurred_at=T0)


def scored(model: ScoringModel, state: ScoreState, *events: BehaviourEvent) -> tuple[bool, ...]:
    """Whether each event, applied in turn, crossed into MQL."""
    crossings = []
    for event in events:
        model.apply_event(state, event, T0)
        crossings.append(model.crossed(state))
    return tuple(crossings)


@pytest.mark.parametrize(
    ("breakdown", "fit", "engagement", "grade"),
    [
        ({"decision_maker": 20, "top_industry": 15, "pricing_page_view": 30}, 35, 30, "A"),
        ({"decision_maker": 20, "webinar_attended": 20}, 20, 20, "B"),
        ({"top_industry": 15}, 15, 0, "C"),
        ({}, 0, 0, "C"),
        ({"student": -30, "pricing_page_view": 15}, -30, 15, "D"),
        # A rule dropped from the model in a review still counts as engagement.
        ({"decision_maker": 20, "old_rule": 7}, 20, 7, "B"),
    ],
)
def test_fit_and_engagement_split_the_score(
    breakdown: dict[str, int], fit: int, engagement: int, grade: str
) -> None:
    state = ScoreState(breakdown=breakdown)
    assert (COMBINED.fit_points(state), COMBINED.engagement(state)) == (fit, engagement)
    assert COMBINED.fit_grade(state) == grade
    assert fit + engagement == COMBINED.score(state)


def test_the_combined_rule_crosses_only_when_both_axes_are_met() -> None:
    engaged_c = ScoreState()
    COMBINED.apply_profile(engaged_c, LeadProfile(industry="SaaS"), "intake")  # fit 15: C
    # 30 + 20 = 50 engagement, score 65: the single total would qualify, the rule does not.
    assert scored(COMBINED, engaged_c, ev("pricing_page_view", 1), ev("pricing_page_view", 2)) == (
        False,
        False,
    )
    assert scored(COMBINED, engaged_c, ev("webinar_attended")) == (False,)
    assert COMBINED.score(engaged_c) == 65 and not COMBINED.qualifies(engaged_c)
    assert TOTAL.qualifies(engaged_c)

    fit_b = ScoreState()
    COMBINED.apply_profile(fit_b, LeadProfile(job_title="CEO"), "intake")  # fit 20: B
    assert not COMBINED.crossed(fit_b)
    crossings = scored(
        COMBINED, fit_b, ev("pricing_page_view", 1), ev("webinar_attended"), ev("webinar_attended")
    )
    assert crossings == (False, False, True)  # engagement 15, 35, then 55 >= 40
    assert fit_b.crossings == 1 and COMBINED.score(fit_b) == 75


def test_a_better_fit_alone_can_complete_the_combined_rule() -> None:
    state = ScoreState()
    COMBINED.apply_profile(state, LeadProfile(industry="SaaS"), "intake")
    assert scored(COMBINED, state, ev("webinar_attended", 1), ev("webinar_attended", 2)) == (
        False,
        False,
    )  # engagement 40, fit C
    outcome = COMBINED.evaluate(
        ScoreRequest(state=state, at=T0, profile=LeadProfile(job_title="CEO", industry="SaaS"))
    )
    assert outcome.crossed and (outcome.fit_grade, outcome.engagement) == ("A", 40)


def test_decay_can_take_engagement_below_the_rule_and_the_lead_crosses_again() -> None:
    state = ScoreState()
    COMBINED.apply_profile(state, LeadProfile(job_title="CEO"), "intake")
    assert scored(COMBINED, state, ev("webinar_attended", 1), ev("webinar_attended", 2)) == (
        False,
        True,
    )
    due = COMBINED.decay_due(state)
    assert due == T0 + timedelta(days=90)
    COMBINED.apply_decay(state, due)  # 40 -> 20
    assert not COMBINED.crossed(state) and COMBINED.engagement(state) == 20
    assert COMBINED.fit_points(state) == 20  # attribute points never decay
    assert scored(COMBINED, state, ev("pricing_page_view"), ev("pricing_page_view", 2)) == (
        False,
        True,
    )
    assert state.crossings == 2


def test_without_a_rule_the_single_total_decides_as_before() -> None:
    state = ScoreState(breakdown={"student": -30})
    events = [ev("webinar_attended", n) for n in range(5)]
    assert scored(TOTAL, state, *events) == (False, False, False, False, True)  # -30 + 100 = 70
    assert TOTAL.fit_grade(state) == "D"  # grades exist without a rule (the default ones)
    assert TOTAL.mql_criterion() == "score >= 60"
    assert COMBINED.mql_criterion() == "fit B or better and engagement >= 40"


def test_evaluate_reports_both_axes() -> None:
    request = ScoreRequest(
        state=ScoreState(), at=T0, profile=LeadProfile(job_title="CEO", industry="SaaS")
    )
    outcome = COMBINED.evaluate(request)
    assert (outcome.fit_grade, outcome.engagement, outcome.crossed) == ("A", 0, False)


def test_an_outcome_recorded_before_the_axes_still_decodes() -> None:
    from nurture.rules.score_state import ScoreOutcome

    old = ScoreOutcome.model_validate({"state": {"breakdown": {"x": 1}}, "crossed": False})
    assert (old.fit_grade, old.engagement) == (None, None)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MqlRule(fit_at_least="E"), "unknown fit grade 'E'"),
        (lambda: MqlRule(fit_at_least="b"), "unknown fit grade 'b'"),
        (lambda: FitGrades(a=20, b=20, c=0), "must fall from A to C"),
        (lambda: FitGrades(a=10, b=20, c=30), "must fall from A to C"),
    ],
)
def test_bad_grades_are_refused_with_a_clear_error(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_the_live_model_keeps_the_single_total_and_grades_the_article_profiles() -> None:
    assert MODEL.mql_rule is None and MODEL.mql_threshold == 60
    cto_saas = ScoreState(
        breakdown=MODEL.attribute_points(LeadProfile(job_title="CTO", industry="SaaS"))
    )
    assert MODEL.fit_grade(cto_saas) == "A"
    assert MODEL.fit_grade(ScoreState(breakdown={"decision_maker": 20})) == "B"
    assert MODEL.fit_grade(ScoreState(breakdown={"sweet_spot_size": 10})) == "C"
    assert MODEL.fit_grade(ScoreState(breakdown={"free_mail": -10})) == "D"
