"""The lead workflow: one per lead, for its whole life.

It scores every behaviour signal, runs the lead's scenario, and when the score
crosses the MQL threshold it stops the scenario and hands the lead to sales
through a child workflow. It is the only writer of the lead's score and stage.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.email import EmailActivities
    from activities.read_model import ReadModelActivities
    from scenarios import SCENARIOS
    from scenarios.email_policy import FREQUENCY_CAP, SEND_WINDOW
    from scenarios.scoring import MODEL
    from scenarios.sla import SLA
    from workflows import policies
    from workflows import search_attributes as sa
    from workflows.handoff import SalesHandoffWorkflow
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
        NoteRecord,
        SalesProgress,
        ScoreLine,
        ScoreRecord,
        SendStepInput,
        Stage,
        StageRecord,
        StepRecord,
    )
    from workflows.runtime import EventLog, Lead, ScenarioStopped

R = TypeVar("R")
DEDUP_WINDOW = 10_000
RECYCLING = (HandoffStatus.REJECTED, HandoffStatus.WITHDRAWN)
HANDOFF_RETRY_EVERY = timedelta(hours=1)
NURTURE_STAGES = (Stage.NEW, Stage.NURTURING, Stage.RECYCLED)


@workflow.defn
class LeadWorkflow:
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

    # --- what scenarios see (LeadHost) --------------------------------------

    @property
    def stopped(self) -> bool:
        return self._qualified or self._mail_stopped or self._stage not in NURTURE_STAGES

    @property
    def score(self) -> int:
        return sum(self._breakdown.values())

    async def send_step(self, step: str) -> None:
        await self._await_send_slot(step)
        now = workflow.now()
        self._step = step
        await self._record_step(now)
        try:
            result = await workflow.execute_activity_method(
                EmailActivities.send_step,
                SendStepInput(
                    lead_id=self.lead_id,
                    scenario=self.scenario,
                    step=step,
                    enrolment=self.enrolment,
                    scheduled_at=now,
                ),
                start_to_close_timeout=policies.SEND_TIMEOUT,
                heartbeat_timeout=policies.SEND_HEARTBEAT,
                retry_policy=policies.SEND_RETRY,
            )
        except ActivityError as err:
            # No SMTP error ends the lead's life: a bounce stops its mail, the rest is noted.
            cause = getattr(err.cause, "type", None) or type(err.cause).__name__
            workflow.logger.warning("send of step %s failed: %s", step, cause)
            if cause == "RecipientRejected":
                await self._stop_mail(Stage.BOUNCED, f"{self.scenario}/{step} bounced")
            else:
                await self._note("send_failed", f"{self.scenario}/{step} not sent: {cause}")
            return
        if result.skipped:
            stage = Stage.BOUNCED if result.skipped == "bounced" else Stage.UNSUBSCRIBED
            await self._stop_mail(stage, f"{self.scenario}/{step} not sent: {result.skipped}")
        elif not result.already_sent:
            self._marketing_sends = [*self._marketing_sends, now][-FREQUENCY_CAP.max_mails :]

    async def _await_send_slot(self, step: str) -> None:
        """Defer the send into the lead's working hours and under the frequency cap."""
        while True:
            now = workflow.now()
            window = SEND_WINDOW.next_slot(now, self.profile.timezone) if self._windowed else now
            capped = FREQUENCY_CAP.free_at(self._marketing_sends, now)
            when = max(window, capped)
            if when <= now:
                return
            why = (
                "outside the lead's business hours"
                if window >= capped
                else f"frequency cap ({FREQUENCY_CAP.max_mails} in {FREQUENCY_CAP.per.days} days)"
            )
            local = when.astimezone(SEND_WINDOW.calendar(self.profile.timezone).zone)
            await self._note(
                "deferred", f"{self.scenario}/{step} deferred to {local:%Y-%m-%d %H:%M %Z}: {why}"
            )
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self.stopped, timeout=when - now)
            if self.stopped:
                raise ScenarioStopped()

    async def _stop_mail(self, stage: Stage, reason: str) -> None:
        """Unsubscribed or bounced: no marketing mail ever again; the stage says why."""
        if self._mail_stopped:
            return
        self._mail_stopped = True
        if self._stage in (*NURTURE_STAGES, Stage.MQL) and not self._qualified:
            await self._set_stage(stage, reason)
        else:
            await self._note(stage.value, reason)  # in sales' hands: the stage stays theirs

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
        attribute_keys = tuple(r.key for r in MODEL.attribute_rules)  # model order, never a set
        before = {k: v for k, v in self._breakdown.items() if k in attribute_keys}
        after = MODEL.attribute_points(profile)
        lines = [
            ScoreLine(rule=key, points=after.get(key, 0) - before.get(key, 0), cause=cause)
            for key in attribute_keys
            if after.get(key, 0) != before.get(key, 0)
        ]
        for key in attribute_keys:
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
        attribute_keys = tuple(r.key for r in MODEL.attribute_rules)
        lines = [
            ScoreLine(rule=rule, points=-points, cause=f"recycled ({why})")
            for rule, points in self._breakdown.items()
            if rule not in attribute_keys and points
        ]
        self._breakdown = {k: v for k, v in self._breakdown.items() if k in attribute_keys}
        await self._record_score(workflow.now(), lines=lines)
        self._rep_id = None
        self._qualified = False
        self.scenario = SLA.recycle_scenario
        self._step = None
        await self._record_step(workflow.now())
        await self._set_stage(Stage.RECYCLED, why, clear_rep=True)

    async def _set_stage(
        self, stage: Stage, reason: str, rep_id: str | None = None, clear_rep: bool = False
    ) -> None:
        previous, self._stage = self._stage, stage
        self._upsert_search_attributes()
        await self._record(
            ReadModelActivities.record_stage,
            StageRecord(
                lead_id=self.lead_id,
                at=workflow.now(),
                from_stage=previous,
                to_stage=stage,
                reason=reason,
                rep_id=rep_id,
                clear_rep=clear_rep,
            ),
        )

    async def _record_step(self, at: datetime) -> None:
        self._upsert_search_attributes()
        await self._record(
            ReadModelActivities.record_step,
            StepRecord(lead_id=self.lead_id, at=at, scenario=self.scenario, step=self._step),
        )

    async def _record_score(
        self,
        at: datetime,
        lines: list[ScoreLine] | None = None,
        events: list[AppliedEvent] | None = None,
    ) -> None:
        self._upsert_search_attributes()
        self._score_version += 1
        await self._record(
            ReadModelActivities.record_score,
            ScoreRecord(
                lead_id=self.lead_id,
                at=at,
                version=self._score_version,
                score=self.score,
                breakdown=dict(self._breakdown),
                lines=lines or [],
                events=events or [],
            ),
        )

    async def _note(self, kind: str, text: str) -> None:
        await self._record(
            ReadModelActivities.record_note,
            NoteRecord(lead_id=self.lead_id, at=workflow.now(), kind=kind, text=text),
        )

    async def _record(self, activity: Callable[[Any, R], None], record: R) -> None:
        """Write to the read model; after an hour of failures give up rather than fail the lead."""
        try:
            await workflow.execute_local_activity_method(
                activity,
                record,
                start_to_close_timeout=policies.RECORD_TIMEOUT,
                schedule_to_close_timeout=policies.RECORD_GIVE_UP_AFTER,
                retry_policy=policies.RECORD_RETRY,
            )
        except ActivityError as err:
            workflow.logger.error("read model write %s given up: %s", type(record).__name__, err)

    def _upsert_search_attributes(self) -> None:
        values = (
            self.score,
            self._stage.value,
            self.scenario,
            self._step or "-",
            self.profile.source or "-",
        )
        if values == self._indexed:
            return  # each upsert is a history event: only write changes
        self._indexed = values
        workflow.upsert_search_attributes(
            [
                sa.LEAD_SCORE.value_set(values[0]),
                sa.LEAD_STAGE.value_set(values[1]),
                sa.SCENARIO.value_set(values[2]),
                sa.SCENARIO_STEP.value_set(values[3]),
                sa.SOURCE.value_set(values[4]),
            ]
        )
