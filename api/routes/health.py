"""Liveness of the API and the two things it depends on."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 3.0


@router.get("/healthz")
async def healthz(state: StateDep) -> JSONResponse:
    """200 when the API, Temporal and the database answer; 503 naming what does not."""

    def database() -> None:
        with state.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    checks: dict[str, Any] = {"api": "ok"}
    try:
        await asyncio.wait_for(run_in_threadpool(database), CHECK_TIMEOUT_SECONDS)
        checks["database"] = "ok"
    except Exception as err:  # report, never raise: this endpoint exists to say what is down
        checks["database"] = f"unreachable: {type(err).__name__}"
    try:
        await asyncio.wait_for(state.client.service_client.check_health(), CHECK_TIMEOUT_SECONDS)
        checks["temporal"] = "ok"
    except Exception as err:
        checks["temporal"] = f"unreachable: {type(err).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if healthy else "degraded", "checks": checks},
                        status_code=200 if healthy else 503)  # fmt: skip
