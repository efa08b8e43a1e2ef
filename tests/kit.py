"""The scenario test kit: a month of a lead's life in about a second.

    async def test_engaged_lead_gets_the_demo_offer(kit: ScenarioKit) -> None:
        timeline = await kit.run(
            "whitepaper", profile=COLD_PROFILE, days=10,
            events=[(timedelta(days=4), "case_study_download")],
        )
        assert timeline.steps == ["thanks", "case-studies", "demo-offer"]
        assert timeline.day_of("demo-offer") == 6

It runs the real lead workflow on the time-skipping test server with a real worker, a
real SQLite read model and a real SMTP sink, injects events at simulated times, and reads
back what a user would see: mails with their simulated send times, score changes and
stages, each as time since the lead was enrolled. A send that failed (no template, an
undefined variable) fails the test, naming scenario, step and template: in production it
is only a note on the lead's timeline.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from nurture.db import session_scope
from nurture.models import BehaviourEvent, EnrolRequest, LeadStatus, SendStepInput
from nurture.orchestration.lead_runs import profile_of
from nurture.settings import Settings
from nurture.tables import EmailMessage, LeadEvent, ScoreChange, StageChange, TimelineNote
from tests.utils.factories import make_lead, start_lead
from worker import build_worker
from workflows.lead import LeadWorkflow

# A send may fail on purpose only this way (the test's relay refused the address).
EXPECTED_SEND_FAILURES = frozenset({"RecipientRejected"})


@dataclass(frozen=True)
class At:
    """An event the test injects `after` the lead was enrolled."""

    after: timedelta
    type: str
    properties: dict[str, Any] = field(default_factory=dict)
    event_id: str = ""


@dataclass(frozen=True)
class Enrol:
    """The lead asks for `scenario` `after` it was enrolled (a second form, say)."""

    after: timedelta
    scenario: str


@dataclass(frozen=True)
class SentMail:
    at: timedelta
    scenario: str
    step: str
    subject: str


@dataclass(frozen=True)
class ScoreMove:
    at: timedelta
    points: int
    score: int
    why: str  # the rule and its cause, or the event type


@dataclass(frozen=True)
class StageMove:
    at: timedelta
    stage: str
    reason: str


@dataclass(frozen=True)
class Timeline:
    """What happened to the lead, in simulated time since enrolment."""

    lead_id: uuid.UUID
    started: datetime
    mails: list[SentMail]
    scores: list[ScoreMove]
    stages: list[StageMove]
    notes: list[tuple[timedelta, str, str]]
    status: LeadStatus
    enrolments: list[str]  # what each Enrol got as an answer

    @property
    def steps(self) -> list[str]:
        return [m.step for m in self.mails]

    @property
    def score(self) -> int:
        return self.status.score

    @property
    def stage(self) -> str:
        return self.status.stage.value

    def mail(self, step: str) -> SentMail:
        found = [m for m in self.mails if m.step == step]
        if not found:
            raise LookupError(f"no {step!r} mail; sent: {self.steps}")
        return found[0]

    def day_of(self, step: str) -> float:
        """The simulated day (0 = enrolment day) the step's mail went out, to 0.1 day."""
        return round(self.mail(step).at / timedelta(days=1), 1)


class ScenarioKit:
    """Runs one lead through a scenario on the time-skipping server."""

    def __init__(self, env: WorkflowEnvironment, settings: Settings, engine: Engine) -> None:
        self.env = env
        self.settings = settings
        self.engine = engine

    async def now(self) -> datetime:
        """The test server's clock: where a run without `start` begins."""
        return await self.env.get_current_time()

    async def run(
        self,
        scenario: str,
        *,
        profile: dict[str, Any] | None = None,
        events: Iterable[At | Enrol | tuple[timedelta, str]] = (),
        days: float = 30,
        continue_as_new_after: int | None = None,
        start: datetime | None = None,
    ) -> Timeline:
        """Enrol a lead with `profile` in `scenario`, inject `events`, run `days` of time.

        `start` (timezone-aware, not before `await kit.now()`) pins the simulated moment of
        enrolment, e.g. a Saturday morning in Tokyo: the server's clock cannot be set, only
        moved forward, so the kit skips time to `start` before the lead is started.
        """
        if start is not None:
            await self._skip_to(start)
        lead = make_lead(self.engine, scenario, **(profile or {}))
        planned = sorted((_at(e) for e in events), key=lambda e: e.after)
        worker = build_worker(self.env.client, self.settings, self.engine)
        async with worker:
            handle = await start_lead(
                self.env.client, self.settings, lead, continue_as_new_after=continue_as_new_after
            )
            started = (await handle.describe()).start_time
            elapsed = timedelta(0)
            answers: list[str] = []
            for n, planned_event in enumerate(planned):
                await self.env.sleep(planned_event.after - elapsed)
                elapsed = planned_event.after
                if isinstance(planned_event, Enrol):
                    request = EnrolRequest(
                        profile=profile_of(lead), scenario=planned_event.scenario
                    )
                    answer = await handle.execute_update(LeadWorkflow.enrol, request)
                    answers.append(answer.enrolment or "")
                else:
                    await _signal(handle, planned_event, n, await self.now())
            await self.env.sleep(timedelta(days=days) - elapsed)
            status = await handle.query(LeadWorkflow.status)
            failed = await self._failed_sends(handle)
        if failed:
            raise AssertionError("a send failed:\n" + "\n".join(failed))
        return self._timeline(lead.id, started, status, answers)

    async def _skip_to(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("kit.run(start=...) needs a timezone-aware datetime")
        now = await self.now()
        if start < now:
            raise ValueError(
                f"kit.run(start={start.isoformat()}) is before the test server's clock "
                f"({now.isoformat()}), which only moves forward: pick a start after kit.now()"
            )
        await self.env.sleep(start - now)

    async def _failed_sends(self, handle: WorkflowHandle[Any, Any]) -> list[str]:
        """Each scenario send whose activity failed for good, in every run of the lead
        (continue-as-new included), read from its history: scenario, step and the error,
        which names the template."""
        failed: list[str] = []
        run_id: str | None = handle.first_execution_run_id or handle.run_id
        while run_id:
            run = self.env.client.get_workflow_handle(handle.id, run_id=run_id)
            run_id = None
            sends: dict[int, HistoryEvent] = {}
            async for event in run.fetch_history_events():
                kind = event.WhichOneof("attributes")
                if kind == "activity_task_scheduled_event_attributes":
                    if event.activity_task_scheduled_event_attributes.activity_type.name == (
                        "send_step"
                    ):
                        sends[event.event_id] = event
                elif kind == "activity_task_failed_event_attributes":
                    attributes = event.activity_task_failed_event_attributes
                    send = sends.get(attributes.scheduled_event_id)
                    if send is not None:
                        failed += await self._unexpected(send, attributes.failure)
                elif kind == "workflow_execution_continued_as_new_event_attributes":
                    attrs = event.workflow_execution_continued_as_new_event_attributes
                    run_id = attrs.new_execution_run_id
        return failed

    async def _unexpected(self, scheduled: HistoryEvent, failure: Failure) -> list[str]:
        error = failure.application_failure_info.type or "unexpected error"
        if error in EXPECTED_SEND_FAILURES:
            return []
        [send] = await self.env.client.data_converter.decode(
            scheduled.activity_task_scheduled_event_attributes.input.payloads, [SendStepInput]
        )
        return [f"scenario {send.scenario!r}, step {send.step!r}: {failure.message} ({error})"]

    def _timeline(
        self, lead_id: uuid.UUID, started: datetime, status: LeadStatus, answers: list[str]
    ) -> Timeline:
        with session_scope(self.engine) as s:
            mails = s.exec(
                select(EmailMessage).where(
                    EmailMessage.lead_id == lead_id,
                    EmailMessage.kind == "nurture",
                    EmailMessage.status == "sent",
                )
            ).all()
            lines = s.exec(select(ScoreChange).where(ScoreChange.lead_id == lead_id)).all()
            scored = s.exec(select(LeadEvent).where(LeadEvent.lead_id == lead_id)).all()
            stages = s.exec(
                select(StageChange)
                .where(StageChange.lead_id == lead_id)
                .order_by(col(StageChange.id))
            ).all()
            notes = s.exec(
                select(TimelineNote)
                .where(TimelineNote.lead_id == lead_id)
                .order_by(col(TimelineNote.id))
            ).all()
        moves = [
            ScoreMove(r.at - started, r.points, r.score_after, f"{r.rule}: {r.cause}")
            for r in lines
        ]
        moves += [
            ScoreMove(e.applied_at - started, e.points, e.score_after, e.type) for e in scored
        ]
        return Timeline(
            lead_id=lead_id,
            started=started,
            enrolments=answers,
            mails=sorted(
                (SentMail(m.scheduled_at - started, m.scenario, m.step, m.subject) for m in mails),
                key=lambda m: m.at,
            ),
            scores=sorted(moves, key=lambda m: m.at),
            stages=[StageMove(r.at - started, r.to_stage, r.reason) for r in stages],
            notes=[(n.at - started, n.kind, n.text) for n in notes],
            status=status,
        )


def _at(event: At | Enrol | tuple[timedelta, str]) -> At | Enrol:
    return event if isinstance(event, At | Enrol) else At(event[0], event[1])


async def _signal(handle: WorkflowHandle[Any, Any], planned: At, n: int, now: datetime) -> None:
    event = BehaviourEvent(
        event_id=planned.event_id or f"kit-{n}-{planned.type}",
        type=planned.type,
        occurred_at=now,  # simulated time, as the lead's own clock reads it
        properties=planned.properties,
    )
    await handle.signal(LeadWorkflow.behaviour, event)
