"""Lead intake and lead state."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter

from api.auth import AdminDep, IntakeBody, ReaderDep
from api.deps import DbDep, StateDep
from api.openapi_docs import json_body
from api.parsing import parse
from api.responses import errors
from api.schemas.leads import MAX_OFFSET, LeadCreated, LeadDetail, LeadPage
from api.services import leads as service
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
) -> LeadPage:
    """Leads, newest first, filtered by stage, source, scenario or minimum score."""
    filters = LeadFilters(stage, source, scenario, min_score, limit, offset)
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
