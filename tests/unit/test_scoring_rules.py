"""Once-only and capped rules, negative rules, the total cap, decay and MQL crossings.

Known answers worked out by hand from a small model, so each rule's arithmetic is visible.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurture.models import BehaviourEvent, LeadProfile
from nurture.rules.score_state import ScoreRequest, ScoreState
from nurture.rules.scoring import AttributeRule, BehaviourRule, Decay, ScoringModel
from scenarios.scoring import MODEL, email_kind

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

SMALL = ScoringModel(
    mql_threshold=60,
    max_score=100,
    decay=Decay(after=timedelta(days=90), factor=0.5),
    attribute_rules=(
        AttributeRule("decision_maker", "Decision maker", 20, "job_title", contains_any=("ceo",)),
        AttributeRule("student", "Student", -30, "job_title", contains_any=("student",)),
        AttributeRule("free_mail", "Free mail", -10, "email_kind", equals_any=("free_mail",)),
    ),
    behaviour_rules=(
        BehaviourRule("pricing_page_view", "Pricing", 15, cap=30),
        BehaviourRule("email_open", "Open", 1, once_per="message"),
        BehaviourRule("meeting_booked", "Meeting", 40, once=True),
        BehaviourRule(
            "page_view", "Careers", -15, key="careers", where=(("path", "/careers"),), once=True
        ),
        BehaviourRule("page_view", "Page view", 1),
    ),
)


def ev(type: str, **properties: object) -> BehaviourEvent:
    return BehaviourEvent(event_id="x", type=type, occurred_at=T0, properties=properties)


class Scorer:
    """A lead's score state, with the small model applied to it."""

    def __init__(self, **breakdown: int) -> None:
        self.state = ScoreState(breakdown=breakdown)

    def add(self, *events: BehaviourEvent, at: datetime = T0) -> list[int]:
        """Points each event added."""
        outcome = SMALL.evaluate(ScoreRequest(state=self.state, at=at, events=list(events)))
        self.state = outcome.state
        return [a.points for a in outcome.applied]


def test_a_capped_rule_stops_adding_at_its_cap() -> None:
    lead = Scorer()
    assert lead.add(*[ev("pricing_page_view")] * 3) == [15, 15, 0]
    assert lead.state.breakdown == {"pricing_page_view": 30}


def test_the_same_mail_opened_ten_times_counts_once() -> None:
    opens = [ev("email_open", message="m1")] * 10 + [ev("email_open", message="m2")]
    assert Scorer().add(*opens) == [1] + [0] * 9 + [1]


def test_a_once_only_rule_scores_only_the_first_time() -> None:
    lead = Scorer()
    assert lead.add(ev("meeting_booked"), ev("meeting_booked")) == [40, 0]
    outcome = SMALL.evaluate(ScoreRequest(state=lead.state, at=T0, events=[ev("meeting_booked")]))
    assert outcome.applied[0].note == "counts once"


def test_rules_with_conditions_come_first_for_their_event_type() -> None:
    lead = Scorer()
    views = [ev("page_view", path="/careers/engineer"), ev("page_view", path="/blog/dx")]
    assert lead.add(*views) == [-15, 1]
    assert lead.state.breakdown == {"careers": -15, "page_view": 1}


def test_the_total_cap_holds_the_score_at_the_maximum() -> None:
    lead = Scorer(decision_maker=20)
    assert lead.add(*[ev("pricing_page_view")] * 2, ev("meeting_booked")) == [15, 15, 40]  # 90
    assert lead.add(*[ev("page_view", path="/")] * 12) == [1] * 10 + [0, 0]
    assert SMALL.score(lead.state) == 100


def test_negative_attribute_rules() -> None:
    profile = LeadProfile(job_title="Student", email_kind="free_mail")
    outcome = SMALL.evaluate(
        ScoreRequest(state=ScoreState(), at=T0, profile=profile, cause="intake")
    )
    assert outcome.state.breakdown == {"student": -30, "free_mail": -10}
    assert [(line.rule, line.points) for line in outcome.lines] == [
        ("student", -30),
        ("free_mail", -10),
    ]


def test_behaviour_points_halve_after_90_quiet_days_and_attributes_stay() -> None:
    lead = Scorer(decision_maker=20)
    lead.add(ev("pricing_page_view"), ev("pricing_page_view"), ev("page_view", path="/"))
    state = lead.state
    assert state.next_decay_at == T0 + 90 * DAY
    early = SMALL.evaluate(ScoreRequest(state=state, at=T0 + 89 * DAY, decay=True))
    assert early.lines == []  # not due yet: nothing changes
    due = SMALL.evaluate(ScoreRequest(state=state, at=T0 + 90 * DAY, decay=True))
    assert due.state.breakdown == {"decision_maker": 20, "pricing_page_view": 15, "page_view": 0}
    assert [(line.rule, line.points) for line in due.lines] == [
        ("pricing_page_view", -15),
        ("page_view", -1),
    ]
    assert due.state.next_decay_at == T0 + 180 * DAY  # and again after 90 more quiet days


def test_activity_postpones_decay() -> None:
    lead = Scorer()
    lead.add(ev("pricing_page_view"))
    lead.add(ev("page_view", path="/"), at=T0 + 60 * DAY)
    assert lead.state.next_decay_at == T0 + 150 * DAY


def test_negative_behaviour_decays_toward_zero() -> None:
    lead = Scorer()
    lead.add(ev("page_view", path="/careers"))
    due = SMALL.evaluate(ScoreRequest(state=lead.state, at=T0 + 90 * DAY, decay=True))
    assert due.state.breakdown == {"careers": -7}


def test_the_mql_crossing_fires_once_per_crossing() -> None:
    state = ScoreState(breakdown={"decision_maker": 20})
    crossings = []
    for request in (
        ScoreRequest(state=state, at=T0, events=[ev("pricing_page_view")] * 2),  # 50
        ScoreRequest(state=state, at=T0, events=[ev("meeting_booked")]),  # 90: crosses
        ScoreRequest(state=state, at=T0, events=[ev("page_view", path="/")]),  # 91: above
        ScoreRequest(state=state, at=T0 + 91 * DAY, decay=True),  # 20 + 15 + 20 + 0 = 55
        ScoreRequest(state=state, at=T0 + 92 * DAY, events=[ev("page_view", path="/")] * 5),
    ):
        request.state = state
        outcome = SMALL.evaluate(request)
        state = outcome.state
        crossings.append((SMALL.score(state), outcome.crossed))
    assert crossings == [(50, False), (90, True), (91, False), (55, False), (60, True)]
    assert state.crossings == 2


def test_reset_drops_behaviour_and_forgets_once_only_rules() -> None:
    lead = Scorer(decision_maker=20)
    lead.add(ev("meeting_booked"))
    outcome = SMALL.evaluate(ScoreRequest(state=lead.state, at=T0, reset_behaviour="recycled"))
    assert outcome.state.breakdown == {"decision_maker": 20}
    assert outcome.lines[0].points == -40
    again = SMALL.evaluate(ScoreRequest(state=outcome.state, at=T0, events=[ev("meeting_booked")]))
    assert again.applied[0].points == 40


def test_two_rules_may_not_share_a_key() -> None:
    with pytest.raises(ValueError, match="share the key 'a'"):
        ScoringModel(
            mql_threshold=1,
            attribute_rules=(AttributeRule("a", "A", 1, "job_title", contains_any=("x",)),),
            behaviour_rules=(BehaviourRule("a", "A", 1),),
        )


@pytest.mark.parametrize(
    ("email", "kind"),
    [
        ("hanako@acme.co.jp", "business"),
        ("hanako@Gmail.com", "free_mail"),
        ("taro@yahoo.co.jp", "free_mail"),
        ("spy@rival-automation.example", "competitor"),
    ],
)
def test_email_kind(email: str, kind: str) -> None:
    assert email_kind(email) == kind


def test_the_reviewed_model_punishes_competitors_below_any_behaviour() -> None:
    profile = LeadProfile(
        job_title="CEO", industry="SaaS", company_size=300, email_kind="competitor"
    )
    assert sum(MODEL.attribute_points(profile).values()) < 0
    assert MODEL.max_score is not None and MODEL.max_score - 100 < MODEL.mql_threshold
