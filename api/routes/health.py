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
from temporalio.service import RPCError

from api.deps import AppState, StateDep
from api.server_errors import database_unavailable
from nurture.db import session_scope
from nurture.repo import emails, service_heartbeats

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 3.0
HEARTBEAT = f"api:{socket.gethostname()}"


class Health(BaseModel):
    status: str  # ok, or degraded when a check or a notice is not ok
    checks: dict[str, str]  # what the API needs to answer at all: one failing makes it a 503
    notices: dict[str, str] = {}  # what ops must act on while the API still answers (200)


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
    except RPCError as err:
        return f"unreachable: {err.status.name}"
    except Exception as err:
        return f"unreachable: {type(err).__name__}"
    return "ok"


async def mail(state: AppState) -> str:
    """Mail held by the relay or our SMTP settings, of unknown fate, or given up."""

    def read() -> str:
        with session_scope(state.engine) as session:
            return emails.health(session).summary()

    try:
        return await run_in_threadpool(read)
    except Exception as err:
        return f"unknown: {_cause(err)}"


async def worker(state: AppState) -> str:
    """When a worker last reported (each does every NURTURE_RECONCILE_SECONDS)."""

    def read() -> datetime | None:
        with session_scope(state.engine) as session:
            beat = service_heartbeats.latest(session, "worker:")
            return beat.at if beat else None

    try:
        seen = await run_in_threadpool(read)
    except Exception as err:
        return f"unknown: {_cause(err)}"
    if seen is None:
        return "no worker has reported yet: is `nurture worker` running?"
    age = (datetime.now(UTC) - seen).total_seconds()
    if age > 3 * state.settings.reconcile_seconds + 10:
        return f"last seen {age:.0f} s ago: is `nurture worker` running?"
    return "ok"


Check = Callable[[AppState], Awaitable[str]]
CHECKS: dict[str, Check] = {"database": database, "temporal": temporal}
NOTICES: dict[str, Check] = {"mail": mail, "worker": worker}


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
    does not. `notices` name what ops must act on meanwhile (mail held by the relay, no
    worker reporting): they make the status `degraded`, not the answer a 503. Every check is
    bounded in time and they run at once."""
    # The database's own lock wait ends first, so the answer names the cause, not the clock.
    seconds = max(CHECK_TIMEOUT_SECONDS, state.settings.database_busy_timeout_seconds + 2)
    everything = {**CHECKS, **NOTICES}
    results = await asyncio.gather(*(_bounded(c, state, seconds) for c in everything.values()))
    found = dict(zip(everything, results, strict=True))
    checks = {"api": "ok", **{k: found[k] for k in CHECKS}}
    notices = {k: found[k] for k in NOTICES}
    healthy = all(v == "ok" for v in checks.values())
    calm = healthy and all(v == "ok" for v in notices.values())
    body = Health(status="ok" if calm else "degraded", checks=checks, notices=notices)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
