"""How the held-leads benchmark starts its leads: real nurture leads (a stored row and its
LeadWorkflow, which sends the first mail and sleeps on the scenario's timer), with a bounded
number in flight. Each way is a `Starter`; a bulk intake that does not wait for the first
workflow task can be added as one more and chosen with `--starter`.

- `api`: `POST /v1/leads` (admin token), as a form tool or CDP sends them;
- `direct`: what the API's intake does, from this process: the row through nurture's repo,
  then `lead_runs.enrol` (update-with-start, waiting for the first workflow task) and
  `mark_started`, without HTTP or the API process.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from ingest_http import HttpPool
from ingest_load import COLD, run_pool
from ingest_stack import BenchError, Stack
from temporalio.client import Client

from nurture.db import make_engine, session_scope
from nurture.orchestration import lead_runs
from nurture.repo import leads as lead_repo
from nurture.repo import lifecycle
from nurture.settings import DEV_ADMIN_TOKEN

SCENARIO = "whitepaper"  # first mail at once, then a two-day timer: the lead sleeps
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}


def lead_body(email: str, n: int) -> dict[str, Any]:
    """A cold lead (no attribute points): its events never take it to the MQL threshold."""
    return {
        "email": email,
        "name": f"Held Lead {n}",
        "company": f"Held Co {n}",
        "source": "bench-held",
        "scenario": SCENARIO,
        **COLD,
    }


class Starter(Protocol):
    name: str

    async def start(self, bodies: Sequence[dict[str, Any]]) -> list[str]:
        """Start every lead, `concurrency` at a time; their IDs, in order."""
        ...

    async def close(self) -> None: ...


class ApiStarter:
    name = "api"

    def __init__(self, stack: Stack, concurrency: int) -> None:
        self.http = HttpPool(stack.api_url, concurrency)
        self.concurrency = concurrency
        self.pending = 0  # 202: stored and started, no worker answered within the wait

    async def post(self, body: dict[str, Any]) -> str:
        r = await self.http.post_json("/v1/leads", body, ADMIN)
        if r.status not in (201, 202):
            raise BenchError(f"POST /v1/leads answered {r.status}: {r.text[:300]}")
        self.pending += r.status == 202
        return str(r.json()["id"])

    async def start(self, bodies: Sequence[dict[str, Any]]) -> list[str]:
        ids = [""] * len(bodies)

        async def one(i: int) -> None:
            ids[i] = await self.post(bodies[i])

        await run_pool(range(len(bodies)), self.concurrency, one)
        return ids

    async def close(self) -> None:
        await self.http.close()


class DirectStarter:
    name = "direct"

    def __init__(self, stack: Stack, client: Client, concurrency: int) -> None:
        self.settings = stack.settings()
        self.engine = make_engine(stack.database_url)
        self.client = client
        self.concurrency = concurrency

    def _store(self, body: dict[str, Any]) -> Any:
        fields = {k: v for k, v in body.items() if k not in ("email", "scenario")}
        with session_scope(self.engine) as session:
            lead, _ = lead_repo.upsert_lead(session, body["email"], body["scenario"], fields)
        return lead

    def _started(self, lead_id: uuid.UUID) -> None:
        with session_scope(self.engine) as session:
            lifecycle.mark_started(session, lead_id, datetime.now(UTC))

    async def start(self, bodies: Sequence[dict[str, Any]]) -> list[str]:
        ids = [""] * len(bodies)

        async def one(i: int) -> None:
            lead = await asyncio.to_thread(self._store, bodies[i])
            await lead_runs.enrol(self.client, self.settings, lead)
            await asyncio.to_thread(self._started, lead.id)
            ids[i] = str(lead.id)

        await run_pool(range(len(bodies)), self.concurrency, one)
        return ids

    async def close(self) -> None:
        self.engine.dispose()


def make_starter(kind: str, stack: Stack, client: Client, concurrency: int) -> Starter:
    if kind == "api":
        return ApiStarter(stack, concurrency)
    if kind == "direct":
        return DirectStarter(stack, client, concurrency)
    raise BenchError(f"unknown starter {kind!r}")


STARTERS = ("api", "direct")
