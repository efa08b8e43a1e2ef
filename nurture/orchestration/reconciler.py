"""Keeps the read model and Temporal in agreement about which leads have a running workflow.

Run by every worker, at start and every `NURTURE_RECONCILE_SECONDS`:
- a lead stored by an intake that could not reach Temporal gets its workflow (the start is
  idempotent, so several workers doing it at once is harmless);
- a lead whose workflow ops terminated or cancelled in Temporal is marked halted, with a
  line on its timeline, so the API says so before any event arrives;
- the worker leaves a heartbeat that `/healthz` reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus

from nurture.db import session_scope
from nurture.models import BehaviourEvent
from nurture.orchestration import lead_runs
from nurture.repo import lifecycle, service_heartbeats
from nurture.settings import Settings
from nurture.tables import Lead, ParkedEvent

log = logging.getLogger(__name__)
GRACE = timedelta(seconds=10)  # an intake in progress gets this long to start its own workflow
FIRST_LOOK_BACK = timedelta(days=7)
OVERLAP = timedelta(minutes=2)  # visibility is eventually consistent: look a little back
CLOSED = "ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew'"


@dataclass
class Report:
    started: int = 0
    halted: int = 0
    delivered: int = 0  # parked events handed over


class Reconciler:
    def __init__(self, client: Client, settings: Settings, engine: Engine) -> None:
        self._client = client
        self._settings = settings
        self._engine = engine
        self._checked_until: datetime | None = None
        self.name = f"worker:{socket.gethostname()}:{os.getpid()}"

    async def run(self, stop: asyncio.Event) -> None:
        """Reconcile now and then every interval until `stop` is set; never raises."""
        every = self._settings.reconcile_seconds
        while not stop.is_set():
            try:
                report = await self.once()
                if report.started or report.halted or report.delivered:
                    log.info(
                        "reconciled: %s started, %s halted, %s parked events delivered",
                        report.started,
                        report.halted,
                        report.delivered,
                    )
            except Exception as err:  # the next round tries again; say what went wrong
                log.warning("reconcile round failed: %s: %s", type(err).__name__, err)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    async def once(self, now: datetime | None = None) -> Report:
        now = now or datetime.now(UTC)
        report = Report()
        try:
            await self._start_unstarted(now, report)
            await self._deliver_parked(now, report)
            await self._mark_closed(now, report)
        finally:  # a failed round still says the worker is alive
            await asyncio.to_thread(self._beat, now, report)
        return report

    async def _deliver_parked(self, now: datetime, report: Report) -> None:
        """Events a tracked link parked while the engine was down, for leads not halted."""
        pending = await asyncio.to_thread(self._parked)
        for lead, row in pending:
            event = BehaviourEvent.model_validate(row.event)
            try:
                await lead_runs.deliver_event(self._client, self._settings, lead, event)
            except lead_runs.LeadHalted as halted:
                await asyncio.to_thread(self._halted, lead.id, halted.how, now)
                report.halted += 1
                continue
            if row.id is not None:
                await asyncio.to_thread(self._delivered, row.id, now)
                report.delivered += 1

    async def _start_unstarted(self, now: datetime, report: Report) -> None:
        leads = await asyncio.to_thread(self._unstarted, now - GRACE)
        for lead in leads:
            try:
                await lead_runs.start_lead(self._client, self._settings, lead)
            except lead_runs.LeadHalted as halted:
                await asyncio.to_thread(self._halted, lead.id, halted.how, now)
                report.halted += 1
                continue
            await asyncio.to_thread(self._started, lead.id, now)
            report.started += 1

    async def _mark_closed(self, now: datetime, report: Report) -> None:
        since = (self._checked_until or now - FIRST_LOOK_BACK) - OVERLAP
        query = f"WorkflowType = 'LeadWorkflow' AND {CLOSED} AND CloseTime > '{since.isoformat()}'"
        seen: set[str] = set()
        async for execution in self._client.list_workflows(query):
            if execution.id in seen or not execution.id.startswith("lead-"):
                continue
            seen.add(execution.id)
            try:
                lead_id = uuid.UUID(execution.id.removeprefix("lead-"))
            except ValueError:
                continue  # not one of ours
            current = await self._client.get_workflow_handle(execution.id).describe()
            if current.status in (None, WorkflowExecutionStatus.RUNNING):
                continue  # a reset or a resume: the lead has a newer, running run
            how = lead_runs.HALTED.get(current.status, "closed")
            if await asyncio.to_thread(self._halted, lead_id, how, now):
                report.halted += 1
        self._checked_until = now

    def _parked(self) -> list[tuple[Lead, ParkedEvent]]:
        with session_scope(self._engine) as session:
            return lifecycle.parked_for_running(session)

    def _delivered(self, row_id: int, now: datetime) -> None:
        with session_scope(self._engine) as session:
            lifecycle.mark_delivered(session, [row_id], now)

    def _unstarted(self, before: datetime) -> list[Lead]:
        with session_scope(self._engine) as session:
            return lifecycle.unstarted(session, before)

    def _started(self, lead_id: uuid.UUID, now: datetime) -> None:
        with session_scope(self._engine) as session:
            lifecycle.mark_started(session, lead_id, now)

    def _halted(self, lead_id: uuid.UUID, how: str, now: datetime) -> bool:
        with session_scope(self._engine) as session:
            return lifecycle.mark_halted(session, lead_id, how, now)

    def _beat(self, now: datetime, report: Report) -> None:
        with session_scope(self._engine) as session:
            service_heartbeats.beat(
                session,
                self.name,
                now,
                {
                    "task_queue": self._settings.task_queue,
                    "started": report.started,
                    "halted": report.halted,
                },
            )
