"""Liveness of the API and of what it depends on: one check function per dependency.

Each check returns "ok" or says what is wrong, and never raises: this endpoint exists to
say what is down. Add a dependency by adding a function to CHECKS.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.deps import AppState, StateDep
from api.server_errors import database_unavailable
from nurture.db import session_scope
from nurture.repo import service_heartbeats

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 3.0
HEARTBEAT = f"api:{socket.gethostname()}"


class Health(BaseModel):
    status: str
    checks: dict[str, str]


def _cause(err: BaseException) -> str:
    return database_unavailable(err) or type(err).__name__


async def database(state: AppState) -> str:
    """Reachable (a read) and writable (this API's heartbeat row, in its own transaction)."""

    def read() -> None:
        with state.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def write() -> None:
        with session_scope(state.engine) as session:
            now = datetime.now(UTC)
            service_heartbeats.beat(session, HEARTBEAT, now, {"pid": os.getpid()})

    try:
        await run_in_threadpool(read)
    except Exception as err:
        return f"unreachable: {_cause(err)}"
    try:
        await run_in_threadpool(write)
    except Exception as err:
        return f"cannot write: {_cause(err)}"
    return "ok"


async def temporal(state: AppState) -> str:
    try:
        await state.client.service_client.check_health()
    except Exception as err:
        return f"unreachable: {type(err).__name__}"
    return "ok"


Check = Callable[[AppState], Awaitable[str]]
CHECKS: dict[str, Check] = {"database": database, "temporal": temporal}


async def _bounded(check: Check, state: AppState, seconds: float) -> str:
    try:
        return await asyncio.wait_for(check(state), seconds)
    except TimeoutError:
        return f"unreachable: no answer within {seconds:g} s"


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "a dependency is down: see `checks`"}},
)
async def healthz(state: StateDep) -> JSONResponse:
    """200 when the API, Temporal and the database (read and write) answer; 503 naming what
    does not. Every check is bounded in time and they run at once."""
    # The database's own lock wait ends first, so the answer names the cause, not the clock.
    seconds = max(CHECK_TIMEOUT_SECONDS, state.settings.database_busy_timeout_seconds + 2)
    results = await asyncio.gather(*(_bounded(c, state, seconds) for c in CHECKS.values()))
    checks = {"api": "ok", **dict(zip(CHECKS, results, strict=True))}
    healthy = all(v == "ok" for v in checks.values())
    body = Health(status="ok" if healthy else "degraded", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
