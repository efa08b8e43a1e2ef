"""A lead's score as state, and the request and outcome of scoring it.

The lead workflow carries `ScoreState`; the scoring model is applied to it in a local
activity, so history records each outcome and a later change of the model (a review with
sales) applies to new behaviour without breaking the replay of leads in flight.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from nurture.models import AppliedEvent, BehaviourEvent, LeadProfile, ScoreLine


class ScoreState(BaseModel):
    """Points per rule, and what once-only rules, decay and the MQL crossing remember."""

    breakdown: dict[str, int] = Field(default_factory=dict)
    once_keys: list[str] = Field(default_factory=list)
    last_activity_at: datetime | None = None
    decayed_at: datetime | None = None
    next_decay_at: datetime | None = None  # None: nothing would decay
    above: bool = False  # met the MQL criterion (ScoringModel.qualifies) at the last change
    crossings: int = 0

    @property
    def score(self) -> int:
        return sum(self.breakdown.values())


class ScoreRequest(BaseModel):
    """One change to score: events, a new profile, a decay, or a reset of behaviour."""

    state: ScoreState
    at: datetime
    events: list[BehaviourEvent] = Field(default_factory=list)
    profile: LeadProfile | None = None
    decay: bool = False
    reset_behaviour: str | None = None  # the cause, when behaviour points are dropped
    cause: str = ""


class ScoreOutcome(BaseModel):
    state: ScoreState
    lines: list[ScoreLine] = Field(default_factory=list)
    applied: list[AppliedEvent] = Field(default_factory=list)
    crossed: bool = False  # moved from not meeting the MQL criterion to meeting it
    # The two axes after this change, under the model that scored it. None: recorded by
    # code from before the axes (histories keep such outcomes; they still decode).
    fit_grade: str | None = None
    engagement: int | None = None
