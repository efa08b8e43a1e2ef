"""The lead workflow: one per lead, for its whole life.

It scores every behaviour signal, runs the lead's scenario, and when the score
crosses the MQL threshold it stops the scenario and hands the lead to sales
through a child workflow. It is the only writer of the lead's score and stage.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from scenarios import SCENARIOS
    from scenarios.scoring import MODEL
    from scenarios.sla import SLA
    from workflows.handoff import SalesHandoffWorkflow
    from workflows.lead_mail import NURTURE_STAGES, LeadMail
    from workflows.models import (
        BEHAVIOUR_SIGNAL,
        SALES_PROGRESS_SIGNAL,
        UNSUBSCRIBE_SIGNAL,
        AppliedEvent,
        BehaviourEvent,
        HandoffInput,
        HandoffResult,
        HandoffStatus,
        LeadInput,
        LeadProfile,
        LeadStatus,
        SalesProgress,
        ScoreLine,
        Stage,
    )
    from workflows.runtime import EventLog, Lead, ScenarioStopped

DEDUP_WINDOW = 10_000
ATTRIBUTE_KEYS = tuple(r.key for r in MODEL.attribute_rules)  # model order, never a set
RECYCLING = (HandoffStatus.REJECTED, HandoffStatus.WITHDRAWN)
HANDOFF_RETRY_EVERY = timedelta(hours=1)
SALES_ORDER = {
    Stage.MQL: 1,
    Stage.SALES_PENDING: 2,
    Stage.SALES_ACCEPTED: 3,
    Stage.OPPORTUNITY: 4,
    Stage.WON: 5,
    Stage.LOST: 5,
}


@workflow.defn
class LeadWorkflow(LeadMail):
    @workflow.init
    def __init__(self, input: LeadInput) -> None:
        self.lead_id = input.lead_id
        self._windowed = input.send_window
        self.scenario = input.scenario
        self.profile = input.profile
        self.enrolled_at: datetime = workflow.now()
        self.events = EventLog()
        self._stage = Stage.NEW
        self._step: str | None = None
        self._breakdown: dict[str, int] = {}
        self._seen_ids: set[str] = set()
        self._seen_order: deque[str] = deque()
        self._inbox: list[BehaviourEvent] = []
        self._ready = False
        self._qualified = False
        self._handoffs = 0
        self.enrolment = 0
        self._rep_id: str | None = None
        self._indexed: tuple[object, ...] = ()
        self._score_version = 0
        self._mail_stopped = False
        self._marketing_sends: list[datetime] = []
        self._scenario_task: asyncio.Task[None] | None = None

    # --- Temporal entry points ----------------------------------------------

    @workflow.run
    async def run(self, input: LeadInput) -> None:
        await self._apply_profile(input.profile, cause="intake")
        self._ready = True
        processor = asyncio.create_task(self._process_inbox())
        await self._set_stage(Stage.NURTURING, f"enrolled in scenario {self.scenario}")
        while True:
            self.enrolment += 1
            # Not awaited: once qualified, the scenario ends at its next await by itself,
            # and a slow send must not hold back the handoff.
            self._scenario_task = asyncio.create_task(self._run_scenario())
            await workflow.wait_condition(lambda: self._qualified)
            result = await self._hand_off()
            if result.status not in RECYCLING:
                break
            await self._recycle(result)
        await processor  # won or lost: keep scoring what the lead does

    @workflow.signal(name=BEHAVIOUR_SIGNAL)
    def behaviour(self, event: BehaviourEvent) -> None:
        """A behaviour event; the same `event_id` twice is applied once."""
        if event.event_id in self._seen_ids:
            return
        self._seen_ids.add(event.event_id)
        self._seen_order.append(event.event_id)
        if len(self._seen_order) > DEDUP_WINDOW:
            self._seen_ids.discard(self._seen_order.popleft())
        self._inbox.append(event)

    @workflow.signal(name=UNSUBSCRIBE_SIGNAL)
    async def unsubscribe(self) -> None:
        """The lead unsubscribed: marketing mail stops now (mail to reps is unaffected)."""
        await self._stop_mail(Stage.UNSUBSCRIBED, "unsubscribed from marketing mail")

    @workflow.signal(name=SALES_PROGRESS_SIGNAL)
    async def sales_progress(self, progress: SalesProgress) -> None:
        """From the handoff child: sales acknowledged, reassigned, opened a deal, won or lost."""
        if SALES_ORDER.get(progress.stage, 0) < SALES_ORDER.get(self._stage, 0):
            await self._note("sales", f"ignored a move back to {progress.stage.value}")
            return  # sales stages move forward only
        self._rep_id = progress.rep_id
        await self._set_stage(progress.stage, progress.reason, rep_id=progress.rep_id)

    @workflow.update
    async def enrol(self, profile: LeadProfile) -> LeadStatus:
        """Intake (update-with-start): apply profile changes and answer with the lead's state."""
        await workflow.wait_condition(lambda: self._ready)
        if profile != self.profile:
            await self._apply_profile(profile, cause="profile update")
        return self.status()

    @workflow.query
    def status(self) -> LeadStatus:
        return LeadStatus(
            lead_id=self.lead_id,
            scenario=self.scenario,
            stage=self._stage,
            step=self._step,
            score=self.score,
            breakdown=dict(self._breakdown),
            rep_id=self._rep_id,
        )

    # --- internals -------------------------------------------------------------

    async def _run_scenario(self) -> None:
        scenario = SCENARIOS.get(self.scenario)
        if scenario is None:
            await self._note("scenario_missing", f"no scenario named {self.scenario!r}")
            return
        try:
            await scenario(Lead(self))
        except ScenarioStopped:
            return
        await self._note("scenario_done", f"scenario {self.scenario} finished")

    async def _process_inbox(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self._inbox))
            batch, self._inbox = self._inbox, []
            now = workflow.now()
            applied: list[AppliedEvent] = []
            for event in batch:
                rule = MODEL.behaviour_rule(event.type)
                points = rule.points if rule else 0
                if rule and points:
                    self._breakdown[rule.event_type] = self._breakdown.get(rule.event_type, 0)
                    self._breakdown[rule.event_type] += points
                self.events.append(event, now)
                applied.append(
                    AppliedEvent(
                        event=event,
                        points=points,
                        score_after=self.score,
                        rule=rule.event_type if rule else None,
                    )
                )
            self._check_threshold()  # before the write: a slow database must not delay MQL
            await self._record_score(now, events=applied)

    async def _apply_profile(self, profile: LeadProfile, cause: str) -> None:
        self.profile = profile
        before = {k: v for k, v in self._breakdown.items() if k in ATTRIBUTE_KEYS}
        after = MODEL.attribute_points(profile)
        lines = [
            ScoreLine(rule=key, points=after.get(key, 0) - before.get(key, 0), cause=cause)
            for key in ATTRIBUTE_KEYS
            if after.get(key, 0) != before.get(key, 0)
        ]
        for key in ATTRIBUTE_KEYS:
            self._breakdown.pop(key, None)
        self._breakdown.update(after)
        self._upsert_search_attributes()
        self._check_threshold()
        await self._record_score(workflow.now(), lines=lines)

    def _check_threshold(self) -> None:
        if not self._qualified and not self._mail_stopped and self._stage in NURTURE_STAGES:
            self._qualified = self.score >= SLA.handoff_threshold

    async def _hand_off(self) -> HandoffResult:
        """Run handoffs until one ends; a failed one is retried, the lead is never dropped."""
        await self._set_stage(
            Stage.MQL, f"score {self.score} reached the MQL threshold {SLA.handoff_threshold}"
        )
        while True:
            self._handoffs += 1
            handoff_id = f"handoff-{self.lead_id}-{self._handoffs}"
            try:
                return await workflow.execute_child_workflow(
                    SalesHandoffWorkflow.run,
                    HandoffInput(
                        handoff_id=handoff_id,
                        lead_id=self.lead_id,
                        score=self.score,
                        breakdown=dict(self._breakdown),
                        profile=self.profile,
                    ),
                    id=handoff_id,
                )
            except ChildWorkflowError as err:
                cause = type(err.cause).__name__ if err.cause else "unknown"
                await self._note(
                    "handoff_failed",
                    f"handoff {handoff_id} failed ({cause}); retrying in {HANDOFF_RETRY_EVERY}",
                )
                await workflow.sleep(HANDOFF_RETRY_EVERY)

    async def _recycle(self, result: HandoffResult) -> None:
        """Back from sales without a deal: behaviour points reset, slower recycle track."""
        why = {
            HandoffStatus.REJECTED: "rejected by sales",
            HandoffStatus.WITHDRAWN: "SLA breached: handoff withdrawn",
        }[result.status]
        lines = [
            ScoreLine(rule=rule, points=-points, cause=f"recycled ({why})")
            for rule, points in self._breakdown.items()
            if rule not in ATTRIBUTE_KEYS and points
        ]
        self._breakdown = {k: v for k, v in self._breakdown.items() if k in ATTRIBUTE_KEYS}
        await self._record_score(workflow.now(), lines=lines)
        self._rep_id = None
        self._qualified = False
        self.scenario = SLA.recycle_scenario
        self._step = None
        await self._record_step(workflow.now())
        await self._set_stage(Stage.RECYCLED, why, clear_rep=True)
