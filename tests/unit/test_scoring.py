"""The article's scoring table, applied to profiles and events."""

import pytest

from nurture.models import EventType, LeadProfile
from scenarios.scoring import MODEL


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            LeadProfile(job_title="CTO", industry="SaaS", company_size=250),
            {"decision_maker": 20, "top_industry": 15, "sweet_spot_size": 10},
        ),
        (
            LeadProfile(job_title="営業部長", industry="製造業", company_size=99),
            {"decision_maker": 20, "top_industry": 15},
        ),
        (
            LeadProfile(job_title="Engineer", industry="Retail", company_size=1000),
            {"sweet_spot_size": 10},
        ),
        (LeadProfile(job_title="Head of Sales", company_size=1001), {"decision_maker": 20}),
        (LeadProfile(), {}),
    ],
)
def test_attribute_points(profile: LeadProfile, expected: dict[str, int]) -> None:
    assert MODEL.attribute_points(profile) == expected


@pytest.mark.parametrize(
    ("event_type", "points"),
    [
        ("pricing_page_view", 15),
        ("case_study_download", 10),
        ("webinar_attended", 20),
        ("email_click", 3),
    ],
)
def test_article_behaviour_points(event_type: str, points: int) -> None:
    rule = MODEL.behaviour_rule(event_type)
    assert rule is not None and rule.points == points


def test_every_event_type_has_a_rule_and_a_label() -> None:
    for event_type in EventType:
        rule = MODEL.behaviour_rule(event_type.value)
        assert rule is not None, event_type
        assert MODEL.label(event_type.value) != event_type.value


def test_threshold_is_the_agreed_60() -> None:
    assert MODEL.mql_threshold == 60
    best_profile = sum(r.points for r in MODEL.attribute_rules)
    assert best_profile < MODEL.mql_threshold  # attributes alone never make an MQL


@pytest.mark.parametrize("title", ["Sales Coordinator", "Doctor", "Factory worker"])
def test_keywords_match_whole_words_only(title: str) -> None:
    assert MODEL.attribute_points(LeadProfile(job_title=title)) == {}


@pytest.mark.parametrize("title", ["VP of Engineering", "Co-founder & CEO", "事業部長"])
def test_decision_makers_in_context(title: str) -> None:
    assert MODEL.attribute_points(LeadProfile(job_title=title)) == {"decision_maker": 20}
