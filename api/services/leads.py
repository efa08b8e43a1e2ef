"""Lead intake and lead state: the stored lead and its workflow kept in step.

Intake stores the lead first (one unit of work), then enrols it through its workflow
(update-with-start), and notes in the read model what Temporal said: the workflow started,
or the lead is halted (ops closed its workflow; it is not enrolled until resumed).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import cast

from sqlmodel import Session

from api.auth import Actor
from api.database import Database
from api.deps import AppState
from api.errors import Forbidden, Invalid, NotFound
from api.schemas.leads import (
    Fit,
    FitGrade,
    LeadCreated,
    LeadDetail,
    LeadPage,
    LeadSummary,
    ScoreItem,
    TimelineItem,
)
from nurture.models import EnrolRequest, LeadStatus, Stage
from nurture.orchestration import lead_runs
from nurture.orchestration.intake import LeadIn
from nurture.repo import handoffs, lifecycle
from nurture.repo import leads as repo
from nurture.rules.score_state import ScoreState
from nurture.tables import Lead
from scenarios import SCENARIOS
from scenarios.scoring import MODEL


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    PENDING = "pending"  # stored and its workflow started; no worker has answered yet
    HALTED = "halted"  # stored (profile updated), not enrolled: ops closed its workflow


@dataclass(frozen=True)
class Intake:
    outcome: Outcome
    answer: LeadCreated


def unknown_scenario(name: str) -> str | None:
    """Why `name` is no scenario (naming the known ones); None when it is one."""
    if name in SCENARIOS:
        return None
    return f"unknown scenario {name!r}; known: {', '.join(sorted(SCENARIOS))}"


async def enrol(state: AppState, lead: Lead, scenario: str | None) -> LeadStatus | None:
    """Enrol the stored lead through its workflow (entering `scenario` when given); its state,
    or None when no worker answered in time (the workflow is durably started).

    Raises LeadHalted, noted in the read model, for a lead whose workflow ops closed.
    """
    if lead.halted:  # never ask Temporal, which may have purged the closed run by now
        raise lead_runs.LeadHalted(lead.halted)
    try:
        status = await lead_runs.enrol(state.client, state.settings, lead, scenario)
    except lead_runs.LeadHalted as halted:
        await state.db.run(lifecycle.mark_halted, lead.id, halted.how, datetime.now(UTC))
        raise
    if lead.workflow_started_at is None:
        await state.db.run(lifecycle.mark_started, lead.id, datetime.now(UTC))
    return status


async def enrol_later(state: AppState, lead: Lead, request: EnrolRequest | None) -> None:
    """Enrol the stored lead without waiting for a worker, noting in the read model what
    Temporal said (started, or halted: LeadHalted is raised)."""
    if lead.halted:  # never ask Temporal, which may have purged the closed run by now
        raise lead_runs.LeadHalted(lead.halted)
    try:
        await lead_runs.enrol_later(state.client, state.settings, lead, request)
    except lead_runs.LeadHalted as halted:
        await state.db.run(lifecycle.mark_halted, lead.id, halted.how, datetime.now(UTC))
        raise
    if lead.workflow_started_at is None:
        await state.db.run(lifecycle.mark_started, lead.id, datetime.now(UTC))


async def intake(state: AppState, data: LeadIn) -> Intake:
    """Create the lead (or update the one with this email) and enrol it in its scenario."""
    wrong = unknown_scenario(data.scenario)
    if wrong is not None:
        raise Invalid(wrong, [{"field": "scenario", "problem": "unknown scenario"}])
    fields = data.model_dump(exclude={"email", "scenario"})
    email = str(data.email)
    company = lead_runs.company_of(email)
    lead, created = await state.db.run(repo.upsert_lead, email, data.scenario, fields, company)
    # A lead stored by an earlier intake that never reached Temporal is new to its sender:
    # the first intake its workflow takes says so (of ten at once, exactly one).
    unstarted = lead.workflow_started_at is None and lead.halted is None
    again = None if created or unstarted else data.scenario  # a new lead starts in it already
    stored = LeadCreated(
        id=lead.id,
        created=created,
        score=lead.score,
        stage=Stage(lead.stage),
        scenario=lead.scenario,
        step=lead.step,
    )
    try:
        status = await enrol(state, lead, again)
    except lead_runs.LeadHalted as halted:
        enrolment = (
            f"not enrolled: the lead is halted ({halted}); its profile was updated, "
            f"and `nurture leads resume {lead.id}` brings it back"
        )
        answer = stored.model_copy(
            update={"created": False, "halted": halted.how, "enrolment": enrolment}
        )
        return Intake(Outcome.HALTED, answer)
    if status is None:
        return Intake(Outcome.PENDING, stored.model_copy(update={"pending": True}))
    created = status.first_intake and (created or unstarted)
    answer = LeadCreated(
        id=lead.id,
        created=created,
        score=status.score,
        # With sales, the handoff writes the sales stage to the read model, not the lead.
        stage=stored.stage if status.with_sales else status.stage,
        scenario=status.scenario,
        step=status.step,
        enrolment=status.enrolment,
    )
    return Intake(Outcome.CREATED if created else Outcome.UPDATED, answer)


def axes(lead: Lead) -> tuple[FitGrade, int, int]:
    """(fit grade, fit points, engagement) as the lead's workflow last wrote them; a row
    not scored since the axes existed: from its breakdown under today's model."""
    if lead.fit_grade is not None and lead.engagement is not None:
        grade, fit, engagement = lead.fit_grade, lead.score - lead.engagement, lead.engagement
    else:
        state = ScoreState(breakdown=lead.score_breakdown)
        grade, fit, engagement = (
            MODEL.fit_grade(state),
            MODEL.fit_points(state),
            MODEL.engagement(state),
        )
    return cast(FitGrade, grade), fit, engagement  # the model grades A-D only


def summary(lead: Lead) -> LeadSummary:
    grade, _, engagement = axes(lead)
    return LeadSummary(
        id=lead.id,
        email=lead.email,
        name=lead.name,
        company=lead.company,
        source=lead.source,
        scenario=lead.scenario,
        step=lead.step,
        stage=lead.stage,
        score=lead.score,
        fit_grade=grade,
        engagement=engagement,
        created_at=lead.created_at,
    )


@dataclass(frozen=True)
class LeadFilters:
    stage: Stage | None = None
    source: str | None = None
    scenario: str | None = None
    min_score: int | None = None
    limit: int = 50
    offset: int = 0
    fit_grades: tuple[str, ...] = ()
    min_engagement: int | None = None


async def list_leads(db: Database, filters: LeadFilters) -> LeadPage:
    """Leads, newest first, filtered by stage, source, scenario, minimum score, fit grades
    and minimum engagement."""
    rows, total = await db.run(
        repo.list_leads,
        stage=filters.stage.value if filters.stage else None,
        source=filters.source,
        scenario=filters.scenario,
        min_score=filters.min_score,
        fit_grades=filters.fit_grades,
        min_engagement=filters.min_engagement,
        limit=filters.limit,
        offset=filters.offset,
    )
    return LeadPage(total=total, items=[summary(r) for r in rows])


async def lead_detail(db: Database, lead_id: uuid.UUID, reader: Actor) -> LeadDetail:
    """The lead's state and timeline, for the admin or a rep it was ever handed to."""
    return await db.run(_detail, lead_id, reader)


def _detail(session: Session, lead_id: uuid.UUID, reader: Actor) -> LeadDetail:
    lead = repo.get_lead(session, lead_id)
    if lead is None:
        raise NotFound(f"no lead with id {lead_id}")
    if not reader.is_admin and (
        reader.rep_id is None or not handoffs.ever_handed_to(session, lead.id, reader.rep_id)
    ):
        raise Forbidden("this lead was never handed to you; ask its rep or an admin")
    breakdown = [
        ScoreItem(rule=rule, label=MODEL.label(rule), points=points)
        for rule, points in sorted(lead.score_breakdown.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    entries = repo.timeline(session, lead.id, {r.key: r.label for r in MODEL.attribute_rules})
    grade, fit_points, _ = axes(lead)
    return LeadDetail(
        **summary(lead).model_dump(),
        fit=Fit(grade=grade, points=fit_points),
        job_title=lead.job_title,
        industry=lead.industry,
        company_size=lead.company_size,
        timezone=lead.timezone,
        attributes=lead.attributes,
        score_breakdown=breakdown,
        rep=repo.rep_name(session, lead.rep_id),
        updated_at=lead.updated_at,
        halted=lead.halted,
        halted_at=lead.halted_at,
        parked_events=lifecycle.count_parked(session, lead.id) if lead.halted else 0,
        timeline=[TimelineItem(at=e.at, kind=e.kind, text=e.text, data=e.data) for e in entries],
    )
