"""Liveness of the API and of what it depends on: one check function per dependency.

Each check returns "ok" or says what is wrong, and never raises: /healthz exists to say
what is down. Add a dependency by adding a function to CHECKS (needed to answer at all)
or NOTICES (what ops must act on while the API still answers).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlmodel import Session
from temporalio.service import RPCError

from api.deps import AppState
from api.schemas.health import Health
from api.server_errors import database_unavailable
from nurture.repo import emails, service_heartbeats

CHECK_TIMEOUT_SECONDS = 3.0
HEARTBEAT = f"api:{socket.gethostname()}"


def _cause(err: BaseException) -> str:
    return database_unavailable(err) or type(err).__name__


def _beat(session: Session) -> None:
    service_heartbeats.beat(session, HEARTBEAT, datetime.now(UTC), {"pid": os.getpid()})


async def database(state: AppState) -> str:
    """Reachable (a read) and writable (this API's heartbeat row, in its own transaction)."""
    try:
        await state.db.run(service_heartbeats.ping)
    except Exception as err:
        return f"unreachable: {_cause(err)}"
    try:
        await state.db.run(_beat)
    except Exception as err:
        return f"cannot write: {_cause(err)}"
    return "ok"


TEMPORAL_TRIES = 3  # a busy server drops a call now and then (CANCELLED): not an outage


async def temporal(state: AppState) -> str:
    """Asked up to three times, a quarter second apart: a server that is down fails every
    time within a second; one that dropped a single call on a loaded machine is up."""
    failed = ""
    for attempt in range(TEMPORAL_TRIES):
        if attempt:
            await asyncio.sleep(0.25)
        try:
            await state.client.service_client.check_health()
        except RPCError as err:
            failed = f"unreachable: {err.status.name}"
        except Exception as err:
            failed = f"unreachable: {type(err).__name__}"
        else:
            return "ok"
    return failed


def _mail_summary(session: Session) -> str:
    return emails.health(session).summary()


async def mail(state: AppState) -> str:
    """Mail held by the relay or our SMTP settings, of unknown fate, or given up."""
    try:
        return await state.db.run(_mail_summary)
    except Exception as err:
        return f"unknown: {_cause(err)}"


def _worker_seen(session: Session) -> datetime | None:
    beat = service_heartbeats.latest(session, "worker:")
    return beat.at if beat else None


async def worker(state: AppState) -> str:
    """When a worker last reported (each does every NURTURE_RECONCILE_SECONDS)."""
    try:
        seen = await state.db.run(_worker_seen)
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


async def health(state: AppState) -> tuple[Health, bool]:
    """The checks and notices, all at once and each bounded in time; True when healthy."""
    # The database's own lock wait ends first, so the answer names the cause, not the clock.
    seconds = max(CHECK_TIMEOUT_SECONDS, state.settings.database_busy_timeout_seconds + 2)
    everything = {**CHECKS, **NOTICES}
    results = await asyncio.gather(*(_bounded(c, state, seconds) for c in everything.values()))
    found = dict(zip(everything, results, strict=True))
    checks = {"api": "ok", **{k: found[k] for k in CHECKS}}
    notices = {k: found[k] for k in NOTICES}
    healthy = all(v == "ok" for v in checks.values())
    calm = healthy and all(v == "ok" for v in notices.values())
    return Health(status="ok" if calm else "degraded", checks=checks, notices=notices), healthy
