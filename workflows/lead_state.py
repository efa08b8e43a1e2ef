"""What a lead workflow starts from, and everything it carries across continue-as-new.

A lead lives for months; its history is cut short by continue-as-new, so every piece of
state the next run needs is a field here. New fields always have defaults: a run started
by older code must still decode.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from nurture.authoring.state import LoggedEvent, ScenarioRun
from nurture.models import BehaviourEvent, HandoffResult, LeadProfile, Stage
from nurture.rules.score_state import ScoreState


class Phase(StrEnum):
    NURTURE = "nurture"  # running scenarios
    HANDOFF = "handoff"  # a sales handoff child is running
    CLOSED = "closed"  # won or lost: behaviour is still scored


class LeadCarry(BaseModel):
    """The state of a lead workflow at continue-as-new."""

    runs: int = 1
    phase: Phase = Phase.NURTURE
    stage: Stage = Stage.NURTURING
    step: str | None = None
    score: ScoreState = Field(default_factory=ScoreState)
    score_version: int = 0
    seen: list[str] = Field(default_factory=list)  # digests of recent event IDs, oldest first
    inbox: list[BehaviourEvent] = Field(default_factory=list)
    events_total: int = 0
    recent_events: list[LoggedEvent] = Field(default_factory=list)
    qualified: bool = False
    handoffs: int = 0
    active_handoff: str | None = None
    closed_handoff: HandoffResult | None = None
    rep_id: str | None = None
    mail_stopped: bool = False
    marketing_sends: list[datetime] = Field(default_factory=list)
    deferred_note: str = ""
    enrolment: int = 0
    enrolled_at: datetime
    run: ScenarioRun | None = None
    entered: dict[str, datetime] = Field(default_factory=dict)
    switch_to: str | None = None
    switch_why: str | None = None  # set: the scenario is being left for switch_to
    splits: dict[str, str] = Field(default_factory=dict)
    # Set by `nurture leads resume`: the open handoff is the record's; ask Temporal whether
    # sales still holds it before waiting for its end.
    verify_handoff: bool = False
    intakes: int = 0  # enrol updates taken (the first one's sender learns the lead is new)


class LeadInput(BaseModel):
    lead_id: str
    scenario: str
    profile: LeadProfile = Field(default_factory=LeadProfile)
    send_window: bool = True  # hold marketing mail to the lead's business hours
    # Continue-as-new when history reaches this many events (tests); None: when the server
    # suggests it.
    continue_as_new_after: int | None = None
    carry: LeadCarry | None = None  # set by continue-as-new, never by a caller
