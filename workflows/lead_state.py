"""What a lead's workflow knows, in two models that go to its next run as they are.

`LeadInput` says who the lead is and what it runs; `LeadState` says where it stands. The
workflow works on these two objects directly and hands them to continue-as-new as they
are (`next_run`: the run count moves on, the look-back stays bounded), so nothing it knows
can be left behind by a copy that forgot a field. What a run keeps only for itself is
`ThisRun`, each field with the reason it must not cross to the next run.

Both models are a wire format: histories hold them (the start of every continued run).
Field names never change, and new fields always have defaults, so a run started by older
code still decodes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from nurture.authoring.journal import CARRIED_EVENTS
from nurture.authoring.state import LoggedEvent, ScenarioRun
from nurture.models import (
    AccountClaim,
    BehaviourEvent,
    HandoffResult,
    LeadProfile,
    LeadWrite,
    Stage,
)
from nurture.rules.score_state import ScoreOutcome, ScoreState

if TYPE_CHECKING:
    from temporalio.workflow import ChildWorkflowHandle

    from workflows.handoff import SalesHandoffWorkflow

DEDUP_WINDOW = 10_000  # event IDs remembered per lead (the API de-duplicates too)
KEPT_EVENTS = 500  # recent events a running scenario can look back on
NURTURE_STAGES = (Stage.NEW, Stage.NURTURING, Stage.RECYCLED)


class Phase(StrEnum):
    NURTURE = "nurture"  # running scenarios
    HANDOFF = "handoff"  # a sales handoff child is running
    CLOSED = "closed"  # won or lost: behaviour is still scored


class LeadState(BaseModel):
    """Where a lead stands: live in its run, and carried to the next one as it is."""

    runs: int = 1
    phase: Phase = Phase.NURTURE
    stage: Stage = Stage.NURTURING
    step: str | None = None
    score: ScoreState = Field(default_factory=ScoreState)
    score_version: int = 0
    # The score's two axes from the last scoring outcome (None: not scored since the code
    # that knows them): the search attributes FitGrade and Engagement show them.
    fit_grade: str | None = None
    engagement: int | None = None
    seen: list[str] = Field(default_factory=list)  # digests of recent event IDs, oldest first
    inbox: list[BehaviourEvent] = Field(default_factory=list)
    events_total: int = 0
    recent_events: list[LoggedEvent] = Field(default_factory=list)
    qualified: bool = False
    handoffs: int = 0
    active_handoff: str | None = None
    waiting_for_rep: bool = False  # the active handoff found nobody to take the lead yet
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
    # The account handoff (lead-account-handoff): the lead is of no account and never asks;
    # asking again is worth it once engagement is over `account_ask_from`; the engaged
    # people of the account this lead carries to sales (by id, this lead first) and why.
    no_account: bool = False
    account_ask_from: int = 0
    account_group: list[str] = Field(default_factory=list)
    account_why: str = ""

    @property
    def switching(self) -> bool:
        """The running scenario is being left (for `switch_to`, or for nothing)."""
        return self.switch_why is not None

    def may_qualify(self) -> bool:
        """A crossing of the MQL threshold would start a handoff now."""
        return not self.qualified and not self.mail_stopped and self.stage in NURTURE_STAGES


class LeadInput(BaseModel):
    """Who the lead is and what it runs; the workflow keeps `scenario` and `profile`
    current, so this is also the next run's input."""

    lead_id: str
    scenario: str
    profile: LeadProfile = Field(default_factory=LeadProfile)
    send_window: bool = True  # hold marketing mail to the lead's business hours
    # Continue-as-new when history reaches this many events (tests); None: when the server
    # suggests it.
    continue_as_new_after: int | None = None
    carry: LeadState | None = None  # set by continue-as-new, never by a caller
    # The profile scored at intake by the starter, under its code's model: a first task
    # after `lead-records-batched` takes it instead of a local activity (one event less).
    # History holds it in the start event, so a replay gets the same points.
    intake_score: ScoreOutcome | None = None
    # The starter's answer to the account check (lead-account-handoff) for a new lead: of
    # no account, or when asking is worth it; None (older starters): ask on the first rise.
    # History holds it in the start event, as it does the intake score.
    account: AccountClaim | None = None


def next_run(lead: LeadInput, state: LeadState) -> LeadInput:
    """What continue-as-new hands the next run: the lead and its state as they are.

    Only the run count moves on, and the scenario's look-back is cut to the events a
    resumed scenario may still read (a bounded payload, as it always was).
    """
    carried = state.model_copy(
        update={"runs": state.runs + 1, "recent_events": state.recent_events[-CARRIED_EVENTS:]}
    )
    return lead.model_copy(update={"carry": carried, "intake_score": None, "account": None})


@dataclass(slots=True)
class ThisRun:
    """What one run keeps to itself. None of it may cross to the next run; each says why."""

    # The run has begun (profile applied). A continued run is ready at once: its state is.
    ready: bool
    # `workflow.patched(LONG_LIVED)`, asked by every run in its first task (the marker is
    # per history); False until run() asks, as it always was (see lead_legacy).
    long_lived: bool = False
    # `workflow.patched(BATCHED)` (lead_records), asked first thing by run(): held writes,
    # one flush and one upsert per task; implies long_lived and the lead's older patches.
    batched: bool = False
    # `workflow.patched(FIT_AXES)` (lead_records), asked before BATCHED: the run also upserts
    # FitGrade and Engagement; implies batched (one marker per run).
    axes: bool = False
    # `workflow.patched(ACCOUNT_HANDOFF)` (lead_account), asked before FIT_AXES: an engaged
    # lead asks whether its account's buying group is ready; implies axes (one marker).
    accounts: bool = False
    # Activities and child starts in flight: a run continues only when none is.
    busy: int = 0
    # Search attribute values last upserted: a new run upserts them again.
    indexed: tuple[object, ...] = ()
    # BATCHED: read-model writes held for the task's flush, how many were ever held, a flush
    # due when the task has run all it can, one in flight. Never carried: a run continues
    # (or stops) only once they are written (they count in `busy`).
    held: list[LeadWrite] = field(default_factory=list)
    held_total: int = 0
    settling: bool = False
    flushing: bool = False
    # Ops asked to stop (`nurture leads stop`), and the stop is done: the run then completes,
    # it never continues.
    stopping: str | None = None
    halted: bool = False
    # Index of `LeadState.seen`, rebuilt from it by every run.
    seen_ids: set[str] = field(default_factory=set)
    # Tasks and handles of this run's event loop: they end with it.
    processor: asyncio.Task[None] | None = None
    scenario_task: asyncio.Task[None] | None = None
    # The handoff child this run started (after continue-as-new its end comes by signal).
    child: ChildWorkflowHandle[SalesHandoffWorkflow, HandoffResult] | None = None


class StateEvents:
    """The scenario's event log, kept in `LeadState` (`events_total`, `recent_events`) so
    that it is carried with it; the running scenario looks back on the last KEPT_EVENTS."""

    def __init__(self, state: LeadState, keep: int = KEPT_EVENTS) -> None:
        self._state = state
        self._keep = keep
        del state.recent_events[:-keep]

    @property
    def total(self) -> int:
        return self._state.events_total

    def append(self, event: BehaviourEvent, applied_at: datetime) -> None:
        recent = self._state.recent_events
        self._state.events_total += 1
        recent.append(LoggedEvent(seq=self._state.events_total, applied_at=applied_at, event=event))
        if len(recent) > self._keep:
            del recent[0]

    def since(self, seq: int, types: tuple[str, ...]) -> list[LoggedEvent]:
        return [
            e
            for e in self._state.recent_events
            if e.seq > seq and (not types or e.event.type in types)
        ]

    def matching(self, types: tuple[str, ...]) -> list[LoggedEvent]:
        return self.since(0, types)
