"""Lead intake and lead state."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter

from api.auth import AdminDep, IntakeBody, ReaderDep
from api.deps import DbDep, StateDep
from api.errors import Invalid, TooLarge
from api.openapi_docs import json_body
from api.parsing import parse
from api.responses import errors
from api.schemas.leads import (
    MAX_BULK_LEADS,
    MAX_OFFSET,
    BulkIn,
    BulkInDoc,
    BulkIntake,
    FitGrade,
    LeadCreated,
    LeadDetail,
    LeadPage,
)
from api.services import leads as service
from api.services.bulk_intake import take_bulk
from api.services.leads import LeadFilters, Outcome
from nurture.models import Stage
from nurture.orchestration.intake import LeadIn

router = APIRouter(prefix="/v1/leads", tags=["leads"])
_lead_in = TypeAdapter(LeadIn)
STATUS = {Outcome.CREATED: 201, Outcome.UPDATED: 200, Outcome.PENDING: 202, Outcome.HALTED: 200}


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
    done = await service.intake(state, parse(_lead_in, body))
    response.status_code = STATUS[done.outcome]
    return done.answer


_bulk_in = TypeAdapter(BulkIn)


@router.post(
    "/bulk",
    response_model=BulkIntake,
    status_code=202,
    responses={
        207: {"description": "some leads were rejected (see `rows`), the rest taken"},
        **errors(
            400,
            401,
            413,
            e422="no lead was taken: each one's reason is in `details`",
            e429="the workers are behind (NURTURE_INTAKE_MAX_BACKLOG): nothing was taken; "
            "send it again after `Retry-After` seconds",
        ),
    },
    openapi_extra=json_body(TypeAdapter(BulkInDoc)),
)
async def bulk_intake(body: IntakeBody, state: StateDep, response: Response) -> BulkIntake:
    """Create or update many leads (by email) and enrol them, without waiting for a worker.

    For loads (`nurture import`, a CRM sync): 202 once Temporal holds every lead's work,
    not after its first workflow task; read a lead's state with `GET /v1/leads/{id}`.
    207 when some rows were rejected (each with its `http_status` and `reason`: 422 fix
    the row, 503 send it again), 422 when all were; 429 while the workers are too far
    behind (`Retry-After`). `backlog`: the tasks waiting for a worker.
    """
    leads = parse(_bulk_in, body).leads
    if len(leads) > MAX_BULK_LEADS:
        raise TooLarge(f"at most {MAX_BULK_LEADS} leads per request, got {len(leads)}")
    taken = await take_bulk(state, leads)
    if taken.rejected and not (taken.accepted or taken.halted):
        details = [r.model_dump(mode="json", exclude_none=True) for r in taken.rows]
        raise Invalid(f"no lead was taken: {taken.rows[0].reason}", details)
    if taken.rejected:
        response.status_code = 207
    return taken


@router.get("", response_model=LeadPage, responses=errors(401, 422))
async def list_leads(
    db: DbDep,
    _: AdminDep,
    stage: Stage | None = None,
    source: str | None = None,
    scenario: str | None = None,
    min_score: Annotated[int | None, Query(ge=-10_000, le=10_000)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    fit: Annotated[
        list[FitGrade] | None,
        Query(description="fit grades to keep, repeated: `fit=A&fit=B`"),
    ] = None,
    min_engagement: Annotated[
        int | None, Query(ge=-10_000, le=10_000, description="at least these behaviour points")
    ] = None,
) -> LeadPage:
    """Leads, newest first, filtered by stage, source, scenario, minimum score, fit grades
    and minimum engagement (e.g. `fit=A&fit=B&min_engagement=40`)."""
    filters = LeadFilters(
        stage,
        source,
        scenario,
        min_score,
        limit,
        offset,
        fit_grades=tuple(fit or ()),
        min_engagement=min_engagement,
    )
    return await service.list_leads(db, filters)


@router.get(
    "/{lead_id}",
    response_model=LeadDetail,
    responses=errors(
        401, 422, e403="a rep's token, for a lead never handed to that rep", e404="no such lead"
    ),
)
async def get_lead(lead_id: uuid.UUID, db: DbDep, reader: ReaderDep) -> LeadDetail:
    """Score with its breakdown by rule, stage, scenario and step, and the whole timeline.

    The admin token reads every lead; a rep's token reads the leads handed to that rep,
    now or before (the link in the rep's notification mail).
    """
    return await service.lead_detail(db, lead_id, reader)
