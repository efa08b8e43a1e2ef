"""`GET /healthz`: the API, Temporal and the database, and what ops must act on
(api.services.health)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import StateDep
from api.schemas.health import Health
from api.services.health import health

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "a dependency is down: see `checks`"}},
)
async def healthz(state: StateDep) -> JSONResponse:
    """200 when the API, Temporal and the database (read and write) answer; 503 naming what
    does not. `notices` name what ops must act on meanwhile (mail held by the relay, no
    worker reporting): they make the status `degraded`, not the answer a 503. Every check is
    bounded in time and they run at once."""
    body, healthy = await health(state)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
