"""One scenario's run: its relay, stack, API client and ledger, and the moves all share."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from nurture.db import make_engine
from nurture.mailsink import free_port
from nurture.models import lead_workflow_id
from tests.chaos.figures import RPC_TIMEOUT, snapshot
from tests.chaos.ledger import Ledger
from tests.chaos.relay import Relay
from tests.chaos.stack import Stack
from tests.chaos.traffic import LOW, Api, lead_body, page_views

log = logging.getLogger("chaos")


@dataclass(frozen=True)
class Options:
    """Knobs from the command line; None means the scenario's own default."""

    leads: int | None = None
    kills: int | None = None
    outage: float = 30.0  # seconds a relay outage or 4xx spell lasts
    lock_seconds: float = 45.0
    seed: int = 1


class NotSettled(Exception):
    """The stack did not come to rest in time; the message says what was still moving."""


class Run:
    """Everything one scenario touches. Scenarios call `start()` first (they choose the
    relay's credentials and the worker's environment)."""

    def __init__(self, name: str, workdir: Path, options: Options, default_leads: int) -> None:
        self.name = name
        self.leads = options.leads or default_leads  # how many leads the scenario makes
        self.workdir = workdir
        self.options = options
        self.rng = random.Random(options.seed * 1_000_003 + zlib.crc32(name.encode()))
        self.relay = Relay(free_port())
        self.stack = Stack(workdir, self.relay.port)
        self.api = Api(self.stack.api_url)
        self.ledger = Ledger()
        self.stage = "starting"
        self._engine: Engine | None = None

    def step(self, text: str) -> None:
        """What the scenario is doing now: logged, and named if it runs out of time."""
        self.stage = text
        log.info("%s: %s", self.name, text)

    async def start(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        worker_env: dict[str, str] | None = None,
    ) -> None:
        self.relay.credentials = credentials
        self.relay.start()
        await self.stack.start(worker_env)
        self._engine = make_engine(self.stack.database_url)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the run was not started")
        return self._engine

    async def close(self) -> None:
        await self.api.close()
        await asyncio.to_thread(self.stack.stop)
        self.relay.stop()
        if self._engine is not None:
            self._engine.dispose()

    # --- traffic -------------------------------------------------------------------------

    async def create_leads(
        self,
        count: int,
        tag: str,
        profile: dict[str, Any] | None = None,
        *,
        concurrency: int = 8,
        within: float = 120.0,
        points: int = 0,
    ) -> list[str]:
        """`count` new leads through the API, `concurrency` at a time; their ids in order."""
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> str:
            async with gate:
                reply = await self.api.create_lead(lead_body(tag, n, profile or LOW), within)
                return self.ledger.lead(reply, points)

        return list(await asyncio.gather(*(one(n) for n in range(count))))

    async def leads_with_events(
        self, count: int, tag: str, events_each: int, *, concurrency: int = 8, pace: float = 0.0
    ) -> list[str]:
        """Leads made `concurrency` at a time, each followed at once by its page views in one
        signed batch; `pace` seconds between one slot's leads spreads them out in time."""
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> str:
            async with gate:
                lead_id = self.ledger.lead(await self.api.create_lead(lead_body(tag, n)))
                events = page_views(lead_id, events_each, tag)
                await self.api.post_events(events)
                self.ledger.sent(events)
                await asyncio.sleep(pace)
                return lead_id

        return list(await asyncio.gather(*(one(n) for n in range(count))))

    async def send_events(
        self,
        events: list[dict[str, Any]],
        *,
        batch: int = 50,
        concurrency: int = 4,
        within: float = 120.0,
    ) -> None:
        """Signed batches until each is accepted; accepted events go into the ledger."""
        gate = asyncio.Semaphore(concurrency)

        async def one(chunk: list[dict[str, Any]]) -> None:
            async with gate:
                await self.api.post_events(chunk, within)
                self.ledger.sent(chunk)

        chunks = [events[i : i + batch] for i in range(0, len(events), batch)]
        await asyncio.gather(*(one(c) for c in chunks))

    async def restart_worker(self, env: dict[str, str] | None = None) -> None:
        """Kill the worker if it still runs (SIGKILL) and start a new one."""
        await self.stack.kill_worker()
        await self.stack.start_worker(env)

    # --- waiting -------------------------------------------------------------------------

    async def wait_until(
        self, what: str, probe: Callable[[], Awaitable[bool]], within: float, every: float = 0.5
    ) -> bool:
        """Poll `probe` until it holds; False (and a problem noted) after `within` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await probe():
                return True
            await asyncio.sleep(every)
        self.ledger.problem(f"{what}: not within {within:.0f} s")
        return False

    async def statuses(self) -> dict[str, int]:
        """Outbox rows by status, right now."""
        snap = await asyncio.to_thread(snapshot, self.engine)
        counts: dict[str, int] = {}
        for m in snap.mails:
            counts[m.status] = counts.get(m.status, 0) + 1
        return counts

    async def mail_status(self, message_id: str) -> str | None:
        """The outbox status of the mail with this Message-ID (None: no such row)."""
        snap = await asyncio.to_thread(snapshot, self.engine)
        return next((m.status for m in snap.mails if m.message_id == message_id), None)

    async def settle(self, within: float) -> None:
        """Wait until nothing moves: every lead row has a workflow (a stored lead must get
        one in bounded time, even if its intake failed), no workflow task or activity is
        pending on a running workflow, every event due is applied, and the read model and
        the relay have been still for 3 s."""
        deadline = time.monotonic() + within
        last: tuple[object, ...] = ()
        still_since = time.monotonic()
        moving = "nothing checked yet"
        while time.monotonic() < deadline:
            snap = await asyncio.to_thread(snapshot, self.engine)
            fingerprint = (
                len(self.relay.receipts),
                len(snap.applied),
                tuple(sorted((m.outbox_key, m.status) for m in snap.mails)),
            )
            if fingerprint != last:
                last, still_since = fingerprint, time.monotonic()
            due = [
                e
                for e, (lead, _) in self.ledger.events.items()
                if e not in self.ledger.parked and (lead, e) not in snap.applied
            ]
            leads = [lead for lead in snap.leads if lead not in self.ledger.halted]
            moving = await self._pending(leads) or (
                f"{len(due)} event(s) not yet applied" if due else ""
            )
            if not moving and time.monotonic() - still_since >= 3.0:
                return
            await asyncio.sleep(1.0)
        raise NotSettled(f"not settled after {within:.0f} s: {moving or 'still changing'}")

    async def _pending(self, lead_ids: list[str]) -> str:
        """What a running workflow still has to do, or "" when none has anything pending."""
        client = self.stack.client
        ids = {lead_workflow_id(lead) for lead in lead_ids}
        try:
            async for wf in client.list_workflows("ExecutionStatus='Running'"):
                ids.add(wf.id)
        except RPCError as err:
            return f"Temporal not answering ({err.status.name})"
        activities = tasks = missing = 0
        example = ""
        for wf_id in sorted(ids):
            try:
                desc = await client.get_workflow_handle(wf_id).describe(rpc_timeout=RPC_TIMEOUT)
            except RPCError as err:
                missing += err.status == RPCStatusCode.NOT_FOUND
                continue
            if desc.status != WorkflowExecutionStatus.RUNNING:
                continue
            raw = desc.raw_description
            tasks += raw.HasField("pending_workflow_task")
            for act in raw.pending_activities:
                activities += 1
                failure = act.last_failure.message[:80] if act.HasField("last_failure") else ""
                example = example or f"{act.activity_type.name} attempt {act.attempt} {failure}"
        if missing:
            return f"{missing} lead(s) without a workflow"
        if not activities and not tasks:
            return ""
        return f"{activities} activities ({example.strip()}) and {tasks} workflow tasks pending"
