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
stages, each as time since the lead was enrolled.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from nurture.db import session_scope
from nurture.models import BehaviourEvent, EnrolRequest, LeadStatus
from nurture.orchestration.lead_runs import profile_of
from nurture.settings import Settings
from nurture.tables import EmailMessage, LeadEvent, ScoreChange, StageChange, TimelineNote
from tests.utils.factories import make_lead, start_lead
from worker import build_worker
from workflows.lead import LeadWorkflow


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

    async def run(
        self,
        scenario: str,
        *,
        profile: dict[str, Any] | None = None,
        events: Iterable[At | Enrol | tuple[timedelta, str]] = (),
        days: float = 30,
        continue_as_new_after: int | None = None,
    ) -> Timeline:
        """Enrol a lead with `profile` in `scenario`, inject `events`, run `days` of time."""
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
                    await _signal(handle, planned_event, n)
            await self.env.sleep(timedelta(days=days) - elapsed)
            status = await handle.query(LeadWorkflow.status)
        return self._timeline(lead.id, started, status, answers)

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


async def _signal(handle: WorkflowHandle[Any, Any], planned: At, n: int) -> None:
    event = BehaviourEvent(
        event_id=planned.event_id or f"kit-{n}-{planned.type}",
        type=planned.type,
        occurred_at=datetime.now().astimezone(),
        properties=planned.properties,
    )
    await handle.signal(LeadWorkflow.behaviour, event)
