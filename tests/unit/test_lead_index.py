"""What a new lead's start tells ops (workflows/lead_index.py): pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.common import SearchAttributePair, TypedSearchAttributes

from nurture import search_attributes as sa
from nurture.models import LeadProfile
from nurture.rules.score_state import ScoreRequest, ScoreState
from scenarios.scoring import MODEL
from workflows import lead_index
from workflows.lead_state import LeadInput

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PROFILE = LeadProfile(job_title="CEO", industry="Manufacturing", company_size=500, source="wp-2026")


def test_a_new_lead_starts_with_what_ops_search_by_and_the_score_its_first_task_gives() -> None:
    lead = LeadInput(lead_id="4b0e0d59-0000-4000-8000-000000000001", scenario="whitepaper")
    lead.profile = PROFILE
    start = lead_index.at_start(lead, AT)

    intake = MODEL.evaluate(ScoreRequest(state=ScoreState(), at=AT, profile=PROFILE))
    assert {p.key.name: p.value for p in start} == {
        "LeadScore": intake.state.score,
        "LeadStage": "nurturing",
        "Scenario": "whitepaper",
        "Source": "wp-2026",
        "FitGrade": "A",  # the score's two axes (runs after lead-fit-engagement show them)
        "Engagement": 0,
    }
    assert intake.state.score == 45
    # The first task compares its own values with these: equal, it upserts nothing.
    assert lead_index.indexed(start) == lead_index.values(45, "nurturing", "whitepaper", "wp-2026")


def test_a_lead_without_a_source_is_indexed_as_dash() -> None:
    lead = LeadInput(lead_id="4b0e0d59-0000-4000-8000-000000000002", scenario="webinar")
    start = lead_index.at_start(lead, AT)
    assert start.get(sa.SOURCE) == "-"
    assert lead_index.indexed(start)[3] == "-"


def test_a_step_left_by_an_older_run_is_taken_away_and_only_then() -> None:
    new = lead_index.values(60, "mql", "whitepaper", "wp-2026")
    older = TypedSearchAttributes([SearchAttributePair(sa.SCENARIO_STEP, "thanks")])
    names = {u.key.name: u.value for u in lead_index.updates(new, older)}
    assert names == {
        "LeadScore": 60,
        "LeadStage": "mql",
        "Scenario": "whitepaper",
        "Source": "wp-2026",
        "ScenarioStep": None,
    }
    assert "ScenarioStep" not in {
        u.key.name for u in lead_index.updates(new, TypedSearchAttributes([]))
    }
