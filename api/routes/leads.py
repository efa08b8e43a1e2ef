"""Lead intake and lead state."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api import lead_marks
from api.deps import AdminDep, IntakeBody, ReaderDep, SessionDep, StateDep
from api.errors import Forbidden, Invalid, NotFound
from api.openapi_docs import json_body
from api.parsing import parse
from api.responses import errors
from api.schemas import (
    MAX_OFFSET,
    LeadCreated,
    LeadDetail,
    LeadPage,
    LeadSummary,
    ScoreItem,
    TimelineItem,
)
from nurture.db import session_scope
from nurture.models import Stage
from nurture.orchestration import lead_runs
from nurture.orchestration.intake import LeadIn
from nurture.repo import leads as repo
from nurture.repo import lifecycle
from nurture.tables import Handoff, Lead, RepAssignment
from scenarios import SCENARIOS
from scenarios.scoring import MODEL

router = APIRouter(prefix="/v1/leads", tags=["leads"])
_lead_in = TypeAdapter(LeadIn)


@router.post(
    "",
    response_model=LeadCreated,
    status_code=201,
    responses={
        200: {"description": "the lead existed and was updated"},
        202: {"description": "stored and enrolled; no worker answered yet (pending)"},
        **errors(400, 401, 413, 422),
    },
    openapi_extra=json_body(_lead_in),
)
async def create_or_update_lead(
    body: IntakeBody, state: StateDep, response: Response
) -> LeadCreated:
    """Create a lead (or update the one with this email) and enrol it in its scenario.

    Authenticate with the admin bearer token or an `X-Nurture-Signature` webhook signature.
    """
    data = parse(_lead_in, body)
    if data.scenario not in SCENARIOS:
        raise Invalid(
            f"unknown scenario {data.scenario!r}; known: {', '.join(sorted(SCENARIOS))}",
            [{"field": "scenario", "problem": "unknown scenario"}],
        )
    fields = data.model_dump(exclude={"email", "scenario"})

    def store() -> tuple[Lead, bool]:
        with session_scope(state.engine) as session:
            return repo.upsert_lead(session, str(data.email), data.scenario, fields)

    lead, created = await run_in_threadpool(store)
    # A lead stored by an earlier intake that never reached Temporal is new to its sender:
    # the first intake its workflow takes says so (of ten at once, exactly one).
    unstarted = lead.workflow_started_at is None and lead.halted is None
    again = None if created or unstarted else data.scenario  # a new lead starts in it already
    try:
        if lead.halted:  # never ask Temporal, which may have purged the closed run by now
            raise lead_runs.LeadHalted(lead.halted)
        status = await lead_runs.enrol(state.client, state.settings, lead, again)
    except lead_runs.LeadHalted as halted:
        await run_in_threadpool(lead_marks.halted, state.engine, lead.id, halted.how)
        response.status_code = 200
        return LeadCreated(
            id=lead.id,
            created=False,
            score=lead.score,
            stage=Stage(lead.stage),
            scenario=lead.scenario,
            step=lead.step,
            halted=halted.how,
            enrolment=f"not enrolled: the lead is halted ({halted}); its profile was updated, "
            f"and `nurture leads resume {lead.id}` brings it back",
        )
    if lead.workflow_started_at is None:
        await run_in_threadpool(lead_marks.started, state.engine, lead.id)
    if status is None:  # stored and its workflow started; no worker has answered yet
        response.status_code = 202
        return LeadCreated(
            id=lead.id,
            created=created,
            pending=True,
            score=lead.score,
            stage=Stage(lead.stage),
            scenario=lead.scenario,
            step=lead.step,
        )
    created = status.first_intake and (created or unstarted)
    response.status_code = 201 if created else 200
    return LeadCreated(
        id=lead.id,
        created=created,
        score=status.score,
        stage=status.stage,
        scenario=status.scenario,
        step=status.step,
        enrolment=status.enrolment,
    )


def _summary(lead: Lead) -> LeadSummary:
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
        created_at=lead.created_at,
    )


@router.get("", response_model=LeadPage, responses=errors(401, 422))
def list_leads(
    session: SessionDep,
    _: AdminDep,
    stage: Stage | None = None,
    source: str | None = None,
    scenario: str | None = None,
    min_score: Annotated[int | None, Query(ge=-10_000, le=10_000)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> LeadPage:
    """Leads, newest first, filtered by stage, source, scenario or minimum score."""
    rows, total = repo.list_leads(
        session,
        stage=stage.value if stage else None,
        source=source,
        scenario=scenario,
        min_score=min_score,
        limit=limit,
        offset=offset,
    )
    return LeadPage(total=total, items=[_summary(r) for r in rows])


def _handed_to(session: Session, lead_id: uuid.UUID, rep_id: uuid.UUID | None) -> bool:
    """Whether any handoff of the lead is, or ever was, assigned to this rep."""
    current = select(Handoff.id).where(Handoff.lead_id == lead_id, Handoff.rep_id == rep_id)
    former = (
        select(RepAssignment.id)
        .join(Handoff, col(Handoff.id) == col(RepAssignment.handoff_id))
        .where(Handoff.lead_id == lead_id, RepAssignment.rep_id == rep_id)
    )
    return rep_id is not None and (
        session.exec(current.limit(1)).first() is not None
        or session.exec(former.limit(1)).first() is not None
    )


@router.get(
    "/{lead_id}",
    response_model=LeadDetail,
    responses=errors(
        401, 422, e403="a rep's token, for a lead never handed to that rep", e404="no such lead"
    ),
)
def get_lead(lead_id: uuid.UUID, session: SessionDep, reader: ReaderDep) -> LeadDetail:
    """Score with its breakdown by rule, stage, scenario and step, and the whole timeline.

    The admin token reads every lead; a rep's token reads the leads handed to that rep,
    now or before (the link in the rep's notification mail).
    """
    lead = repo.get_lead(session, lead_id)
    if lead is None:
        raise NotFound(f"no lead with id {lead_id}")
    if not reader.is_admin and not _handed_to(session, lead.id, reader.rep_id):
        raise Forbidden("this lead was never handed to you; ask its rep or an admin")
    labels = {key: MODEL.label(key) for key in lead.score_breakdown}
    breakdown = [
        ScoreItem(rule=rule, label=labels[rule], points=points)
        for rule, points in sorted(lead.score_breakdown.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    entries = repo.timeline(session, lead.id, {r.key: r.label for r in MODEL.attribute_rules})
    return LeadDetail(
        **_summary(lead).model_dump(),
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
