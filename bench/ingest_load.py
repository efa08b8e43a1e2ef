"""The ingest benchmark's load: the demo leads, and the rate phases that send behaviour
events raw (signal-with-start from this process, the API's own per-event call), one per
signed `POST /v1/events`, or in batches, with a fixed number in flight."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from ingest_cpu import CpuMeter
from ingest_http import HttpPool, Reply
from ingest_read_model import wait_applied, wait_quiet
from ingest_stack import BenchError, Stack
from ingest_stats import distribution
from temporalio.client import Client

from nurture import signing
from nurture.db import make_engine, session_scope
from nurture.models import BehaviourEvent, EventType
from nurture.orchestration.lead_runs import deliver_event
from nurture.repo import leads as lead_repo
from nurture.settings import DEV_ADMIN_TOKEN, DEV_WEBHOOK_SECRET
from nurture.tables import Lead

# Cold leads: no attribute points, so 0-point rate events never bring them near the MQL
# threshold (60). Warm leads: 20 + 15 + 10 = 45; one pricing page view (+15) qualifies them.
COLD = {"job_title": "Analyst", "industry": "Retail", "company_size": 20}
WARM = {"job_title": "CEO", "industry": "Manufacturing", "company_size": 500}
RATE_EVENT = EventType.EMAIL_OPEN  # 0 points: the score and search attributes stay put

T = TypeVar("T")


async def run_pool(
    items: Sequence[T], concurrency: int, send: Callable[[T], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Send every item with `concurrency` in flight; wall time and per-item latencies."""
    pending = iter(items)
    latencies: list[float] = []

    async def lane() -> None:
        for item in pending:  # one shared iterator: each item goes to exactly one lane
            t = time.perf_counter()
            await send(item)
            latencies.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(min(concurrency, len(items)))))
    return time.perf_counter() - t0, latencies


@dataclass
class PhaseResult:
    name: str
    kind: str
    events: int
    requests: int
    concurrency: int
    seconds: float
    events_per_s: float
    request_latency: dict[str, float | int]
    in_flight_events: int
    drain_seconds: float
    applied_per_s: float
    cpu_percent_sending: dict[str, float]
    cpu_ms_per_event: dict[str, float]


class Bench:
    """The load side of one run: its leads, the events it sent (and the worker must apply)
    and the rate phases."""

    def __init__(self, args: argparse.Namespace, stack: Stack, client: Client) -> None:
        self.args = args
        self.stack = stack
        self.client = client
        self.settings = stack.settings()
        self.secret = DEV_WEBHOOK_SECRET
        self.admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
        self.http = HttpPool(stack.api_url, max(args.concurrency, 16))
        self.cold: list[Lead] = []
        self.warm: list[Lead] = []
        self.sent = 0  # events sent and expected in lead_event
        self.run_tag = uuid.uuid4().hex[:8]
        self.seq = 0

    async def close(self) -> None:
        await self.http.close()

    # --- setup ------------------------------------------------------------------------

    async def create_leads(self) -> None:
        n_cold, n_warm = self.args.leads, self.args.mql_samples
        bodies = [
            {
                "email": f"bench-{self.run_tag}-{i}@leads.example.com",
                "name": f"Bench Lead {i}",
                "company": f"Bench Co {i}",
                "source": "bench",
                "scenario": "whitepaper",
                **(COLD if i < n_cold else WARM),
            }
            for i in range(n_cold + n_warm)
        ]
        ids: list[str] = [""] * len(bodies)

        async def create(index: int) -> None:
            r = await self.http.post_json("/v1/leads", bodies[index], self.admin)
            if r.status != 201:
                raise BenchError(f"POST /v1/leads answered {r.status}: {r.text[:300]}")
            ids[index] = r.json()["id"]

        seconds, _ = await run_pool(range(len(bodies)), 16, create)
        print(f"  created {len(bodies)} leads in {seconds:.1f} s ({len(bodies) / seconds:.0f}/s)")
        engine = make_engine(self.stack.database_url)
        try:
            with session_scope(engine) as session:
                rows = lead_repo.leads_by_ids_or_emails(session, {uuid.UUID(i) for i in ids}, ())
        finally:
            engine.dispose()
        by_id = {str(row.id): row for row in rows}
        self.cold = [by_id[i] for i in ids[:n_cold]]
        self.warm = [by_id[i] for i in ids[n_cold:]]
        # Every new lead gets its scenario's first mail: let the worker finish that work first.
        t0 = time.monotonic()
        await wait_quiet(self.stack, timeout=120.0)
        print(
            f"  worker idle {time.monotonic() - t0:.1f} s later "
            f"({len(self.stack.sink.messages)} welcome mails at the sink)"
        )

    # --- events -------------------------------------------------------------------------

    def next_events(self, count: int, kind: str) -> list[tuple[Lead, str]]:
        """`count` (lead, event_id) pairs, round-robin over the cold leads, never reused."""
        out = []
        for _ in range(count):
            lead = self.cold[self.seq % len(self.cold)]
            out.append((lead, f"bench-{self.run_tag}-{kind}-{self.seq}"))
            self.seq += 1
        return out

    async def send_raw(self, item: tuple[Lead, str]) -> None:
        lead, event_id = item
        event = BehaviourEvent(
            event_id=event_id, type=RATE_EVENT.value, occurred_at=datetime.now(UTC)
        )
        # The API's own per-event call: `client.start_workflow(LeadWorkflow.run, input_of(lead),
        # id=lead_workflow_id(lead.id), start_signal=BEHAVIOUR_SIGNAL, start_signal_args=[event])`
        # on this process's client, so raw and API differ by exactly the HTTP service.
        await deliver_event(self.client, self.settings, lead, event)

    async def signed_post(self, payload: Any) -> Reply:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            signing.HEADER: signing.sign(body, self.secret),
            "Content-Type": "application/json",
        }
        return await self.http.request("POST", "/v1/events", body, headers)

    async def send_api(self, items: Sequence[tuple[Lead, str]]) -> None:
        events = [
            {"event_id": event_id, "lead_id": str(lead.id), "type": RATE_EVENT.value}
            for lead, event_id in items
        ]
        r = await self.signed_post(events[0] if len(events) == 1 else events)
        if r.status != 202:
            raise BenchError(f"POST /v1/events answered {r.status}: {r.text[:300]}")

    async def rate_phase(self, kind: str, events: int, *, label: str | None = None) -> PhaseResult:
        items = self.next_events(events, kind)
        size = 1 if kind in ("raw", "api") else self.args.batch_size
        concurrency = self.args.batch_concurrency if kind == "batch" else self.args.concurrency
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        meter = CpuMeter(self.stack)
        start = meter.snapshot()
        if kind == "raw":
            seconds, latencies = await run_pool(items, concurrency, self.send_raw)
        else:
            seconds, latencies = await run_pool(chunks, concurrency, self.send_api)
        sent = meter.snapshot()
        self.sent += events
        drain = await wait_applied(self.stack, self.sent, timeout=max(120.0, events / 20))
        done = meter.snapshot()
        await asyncio.sleep(0.5)  # let the last workflow tasks complete before the next phase
        return PhaseResult(
            name=label or kind,
            kind=kind,
            events=events,
            requests=len(chunks),
            concurrency=concurrency,
            seconds=round(seconds, 3),
            events_per_s=round(events / seconds, 1),
            request_latency=distribution(latencies),
            in_flight_events=concurrency * size,
            drain_seconds=round(drain, 3),
            applied_per_s=round(events / (seconds + drain), 1),
            cpu_percent_sending=meter.percent(start, sent),
            cpu_ms_per_event={
                k: round(1000 * v / events, 2) for k, v in meter.used(start, done).items()
            },
        )

    # --- latency ------------------------------------------------------------------------
