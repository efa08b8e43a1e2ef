"""What a lead's search attributes say, for leads started after `lead-records-batched`.

Only what ops search by (the README's ops queries): score, stage, scenario and source.
The step is in the Temporal UI's details line instead; a lead's step changed with every
mail, and each upsert is a history event and a billed action. The starter sets the values
known at the start (`at_start`), so the first workflow task upserts only what it changed.

Runs after `lead-fit-engagement` also show the score's two axes (`Axes`: FitGrade and
Engagement), from the scoring outcome the run last took: the model stays in its activity.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.common import SearchAttributePair, SearchAttributeUpdate, TypedSearchAttributes

from nurture import search_attributes as sa
from nurture.models import Stage
from nurture.rules.score_state import ScoreOutcome, ScoreRequest, ScoreState
from scenarios.scoring import MODEL
from workflows.lead_state import LeadInput

Values = tuple[int | None, str | None, str | None, str | None]
Axes = tuple[str, int]  # (fit grade, engagement)


def values(
    score: int | None, stage: str | None, scenario: str | None, source: str | None
) -> Values:
    return (score, stage, scenario, source or "-")


def indexed(attributes: TypedSearchAttributes) -> Values:
    """The values a run holds (set at its start, or carried by continue-as-new)."""
    return (
        attributes.get(sa.LEAD_SCORE),
        attributes.get(sa.LEAD_STAGE),
        attributes.get(sa.SCENARIO),
        attributes.get(sa.SOURCE),
    )


def stale(attributes: TypedSearchAttributes) -> bool:
    """A step left by an older run of the lead (it would stand still from now on)."""
    return attributes.get(sa.SCENARIO_STEP) is not None


def updates(new: Values, attributes: TypedSearchAttributes) -> list[SearchAttributeUpdate[Any]]:
    """The upsert that brings a run's attributes to `new`, and takes a stale step away."""
    score, stage, scenario, source = new
    wanted: list[SearchAttributeUpdate[Any]] = [
        sa.LEAD_SCORE.value_set(score or 0),
        sa.LEAD_STAGE.value_set(stage or ""),
        sa.SCENARIO.value_set(scenario or ""),
        sa.SOURCE.value_set(source or "-"),
    ]
    if stale(attributes):
        wanted.append(sa.SCENARIO_STEP.value_unset())
    return wanted


def indexed_axes(attributes: TypedSearchAttributes) -> tuple[str | None, int | None]:
    return (attributes.get(sa.FIT_GRADE), attributes.get(sa.ENGAGEMENT))


def axes_updates(axes: Axes) -> list[SearchAttributeUpdate[Any]]:
    grade, engagement = axes
    return [sa.FIT_GRADE.value_set(grade), sa.ENGAGEMENT.value_set(engagement)]


def axes_of(outcome: ScoreOutcome) -> Axes | None:
    """The two axes of a scoring outcome; None for one recorded before they existed."""
    if outcome.fit_grade is None or outcome.engagement is None:
        return None
    return (outcome.fit_grade, outcome.engagement)


def _intake_outcome(lead: LeadInput, now: datetime) -> ScoreOutcome:
    """The profile scored under this code's model, as a new lead's first task would."""
    request = ScoreRequest(state=ScoreState(), at=now, profile=lead.profile, cause="intake")
    return MODEL.evaluate(request)


def scored_at_intake(lead: LeadInput, now: datetime) -> LeadInput:
    """The start input of a new lead, its profile scored under this code's model: its first
    task takes these points as they are (the starter and the attributes agree)."""
    return lead.model_copy(update={"intake_score": _intake_outcome(lead, now)})


def at_start(lead: LeadInput, now: datetime) -> TypedSearchAttributes:
    """The attributes a new lead's first workflow task would set, given to its start: the
    profile's score (the starter's, or under this code's model; a task whose model gave
    other points upserts them) and the stage it enters."""
    outcome = lead.intake_score or _intake_outcome(lead, now)
    new = values(outcome.state.score, Stage.NURTURING.value, lead.scenario, lead.profile.source)
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.LEAD_SCORE, new[0] or 0),
        SearchAttributePair(sa.LEAD_STAGE, new[1] or ""),
        SearchAttributePair(sa.SCENARIO, new[2] or ""),
        SearchAttributePair(sa.SOURCE, new[3] or "-"),
    ]
    if (axes := axes_of(outcome)) is not None:  # a run before FIT_AXES ignores these
        pairs += [
            SearchAttributePair(sa.FIT_GRADE, axes[0]),
            SearchAttributePair(sa.ENGAGEMENT, axes[1]),
        ]
    return TypedSearchAttributes(pairs)
