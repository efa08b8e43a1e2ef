"""Bulk intake: many leads in one request, none of them waiting for a worker.

Each lead is stored as `POST /v1/leads` stores it, then handed to Temporal without waiting
for its first workflow task (lead_runs.enrol_later): the answer comes once the server
holds every row's work, and the worker takes it at its own pace. Rows about the same
person go in request order; a bad row is answered for itself and stops nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from pydantic import ValidationError

from api.deps import AppState
from api.errors import TEMPORAL_FAILURES, Busy, DomainError, from_temporal
from api.schemas.leads import BulkIntake, BulkRow
from api.server_errors import database_unavailable
from api.services import leads as lead_service
from api.services.leads import unknown_scenario
from nurture.models import EnrolRequest
from nurture.orchestration import lead_runs
from nurture.orchestration.backlog import backlog as tasks_behind
from nurture.orchestration.intake import LeadIn
from nurture.repo import leads as repo
from nurture.tables import Lead
from nurture.validation import describe_validation

log = logging.getLogger("nurture.api.bulk")
IN_FLIGHT = 16  # rows of one request in the API at once (each a short write, then an RPC)


async def take_bulk(state: AppState, items: list[Any]) -> BulkIntake:
    """Every row's outcome, the counts, and how far the workers are behind.

    Raises Busy (429, nothing taken) while the workers are NURTURE_INTAKE_MAX_BACKLOG
    tasks behind (nurture.orchestration.backlog): a load then goes in at the rate they
    absorb it, and a form's new lead (POST /v1/leads) never queues behind a whole file.
    """
    backlog = None
    with contextlib.suppress(*TEMPORAL_FAILURES):  # unknown: the rows' own calls will tell
        backlog = await tasks_behind(state.client, state.settings.task_queue)
    most = state.settings.intake_max_backlog
    if backlog is not None and backlog >= most:
        raise Busy(
            f"the workers are {backlog} tasks behind (at most {most}); "
            "send this batch again in a moment",
            retry_after=1,
            details={"backlog": backlog, "max_backlog": most},
        )
    rows: dict[int, BulkRow] = {}
    todo: dict[int, LeadIn] = {}
    for i, item in enumerate(items):
        try:
            data = LeadIn.model_validate(item)
        except ValidationError as err:
            rows[i] = _rejected(i, 422, describe_validation(list(err.errors()))[0])
            continue
        wrong = unknown_scenario(data.scenario)
        if wrong is not None:
            rows[i] = _rejected(i, 422, wrong)
            continue
        todo[i] = data
    by_email: dict[str, list[int]] = {}
    for i, data in todo.items():
        by_email.setdefault(str(data.email).lower(), []).append(i)
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one_person(indices: list[int]) -> None:
        async with gate:
            for i in indices:
                rows[i] = await _one(state, i, todo[i])

    await asyncio.gather(*(one_person(indices) for indices in by_email.values()))
    ordered = [rows[i] for i in range(len(items))]
    counts = {s: sum(r.status == s for r in ordered) for s in ("accepted", "halted", "rejected")}
    if counts["rejected"]:  # indices and reasons only: never an address
        log.info("bulk intake: %d of %d row(s) rejected", counts["rejected"], len(ordered))
    return BulkIntake(**counts, rows=ordered, backlog=backlog)


async def _one(state: AppState, index: int, data: LeadIn) -> BulkRow:
    """One row's outcome; a database that is busy or away fails this row (503), not the
    request, so the rows before it are not answered as failed although they were taken."""
    try:
        return await _take(state, index, data)
    except Exception as err:
        if database_unavailable(err) is None:
            raise
        return _rejected(index, 503, "the database is busy; send the row again")


async def _take(state: AppState, index: int, data: LeadIn) -> BulkRow:
    fields = data.model_dump(exclude={"email", "scenario"})
    email = str(data.email)
    company = lead_runs.company_of(email)
    lead, created = await state.db.run(repo.upsert_lead, email, data.scenario, fields, company)
    unstarted = lead.workflow_started_at is None and lead.halted is None
    # As POST /v1/leads: a new lead starts in its scenario; a known one asks to enter it.
    again = None if created or unstarted else data.scenario
    request = None if created else EnrolRequest(profile=lead_runs.profile_of(lead), scenario=again)
    try:
        await lead_service.enrol_later(state, lead, request)
    except lead_runs.LeadHalted as halted:
        return BulkRow(index=index, status="halted", id=lead.id, reason=str(halted))
    except DomainError as err:
        return _rejected(index, err.status_code, err.message, lead)
    except TEMPORAL_FAILURES as err:
        mapped = from_temporal(err)
        if mapped is None:
            raise
        # Stored; the worker's reconciler starts a lead that never reached Temporal, and
        # the same row sent again is the same lead (by email): safe to retry.
        return _rejected(index, mapped.status_code, mapped.message, lead)
    return BulkRow(index=index, status="accepted", id=lead.id, created=created or unstarted)


def _rejected(index: int, status: int, reason: str, lead: Lead | None = None) -> BulkRow:
    return BulkRow(
        index=index,
        status="rejected",
        id=lead.id if lead else None,
        http_status=status,
        reason=reason,
    )
