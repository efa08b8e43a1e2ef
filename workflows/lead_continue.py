"""How a lead workflow hands its state to the next run (continue-as-new), and takes it back.

A mixin of LeadWorkflow. A lead lives for months and takes thousands of signals; its run
continues-as-new when the server suggests it (or a test's history limit is reached), at a
moment when no activity or handler is in flight. Waits, deadlines, the score, the event
de-duplication window and the running scenario's journal all carry over.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import NoReturn

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from nurture.authoring.journal import EventLog
    from nurture.models import BehaviourEvent, HandoffResult
    from workflows.lead_scoring import LeadScoring
    from workflows.lead_state import LeadCarry, LeadInput

DEDUP_WINDOW = 10_000  # event IDs remembered per lead (the API de-duplicates too)


class LeadContinuation(LeadScoring):
    _input: LeadInput
    _runs: int
    _handoffs: int
    _active_handoff: str | None
    _closed_handoff: HandoffResult | None
    _rep_id: str | None
    _seen_order: deque[str]
    _seen_ids: set[str]
    _intakes: int
    enrolled_at: datetime

    def _restore(self, c: LeadCarry) -> None:
        self._runs = c.runs
        self._phase = c.phase
        self._stage = c.stage
        self._step = c.step
        self._score = c.score
        self._score_version = c.score_version
        self._seen_order = deque(c.seen, maxlen=DEDUP_WINDOW)
        self._seen_ids = set(self._seen_order)
        self._inbox: list[BehaviourEvent] = list(c.inbox)
        self.events = EventLog.restore(c.events_total, c.recent_events)
        self._qualified = c.qualified
        self._handoffs = c.handoffs
        self._active_handoff = c.active_handoff
        self._closed_handoff = c.closed_handoff
        self._rep_id = c.rep_id
        self._mail_stopped = c.mail_stopped
        self._marketing_sends = list(c.marketing_sends)
        self._deferred_note = c.deferred_note
        self.enrolment = c.enrolment
        self.enrolled_at = c.enrolled_at
        self.current = c.run
        self._entered = dict(c.entered) or {self.scenario: c.enrolled_at}
        self._switch_to = c.switch_to
        self._switch_why = c.switch_why
        self._splits = dict(c.splits)
        self._verify_handoff = c.verify_handoff
        self._intakes = c.intakes

    def _carry(self) -> LeadCarry:
        return LeadCarry(
            runs=self._runs + 1,
            phase=self._phase,
            stage=self._stage,
            step=self._step,
            score=self._score,
            score_version=self._score_version,
            seen=list(self._seen_order),
            inbox=self._inbox,
            events_total=self.events.total,
            recent_events=self.events.carry(),
            qualified=self._qualified,
            handoffs=self._handoffs,
            active_handoff=self._active_handoff,
            closed_handoff=self._closed_handoff,
            rep_id=self._rep_id,
            mail_stopped=self._mail_stopped,
            marketing_sends=self._marketing_sends,
            deferred_note=self._deferred_note,
            enrolment=self.enrolment,
            enrolled_at=self.enrolled_at,
            run=self.current,
            entered=self._entered,
            switch_to=self._switch_to,
            switch_why=self._switch_why,
            splits=self._splits,
            intakes=self._intakes,
        )

    def _continue_wanted(self) -> bool:
        """Time for a new run: new work waits for it (and is carried) from now on."""
        if not self._v2:
            return False
        info = workflow.info()
        limit = self._input.continue_as_new_after
        return info.is_continue_as_new_suggested() or (
            limit is not None and info.get_current_history_length() >= limit
        )

    def _continue_due(self) -> bool:
        """Time for a new run, and a moment when nothing is in flight."""
        return self._continue_wanted() and self._busy == 0 and workflow.all_handlers_finished()

    def _continue_as_new(self) -> NoReturn:
        workflow.logger.info(
            "lead %s continues as new after %s events of history (run %s)",
            self.lead_id,
            workflow.info().get_current_history_length(),
            self._runs,
        )
        workflow.continue_as_new(
            self._input.model_copy(
                update={"scenario": self.scenario, "profile": self.profile, "carry": self._carry()}
            )
        )
