"""The held-leads benchmark's latency probes, one at a time on an otherwise idle stack: a new
lead's `POST /v1/leads` (its answer, and its first mail at the sink), and a signed webhook
until the new score shows in `GET /v1/leads/{id}` (the ingest benchmark's probe), sent to
leads spread over everything held, so most are long out of the worker's cache."""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from typing import Any

from held_starters import ADMIN, lead_body
from ingest_http import HttpPool
from ingest_latency import score_latency
from ingest_load import Bench
from ingest_stack import BenchError, Stack
from ingest_stats import distribution
from temporalio.client import Client

from nurture.db import make_engine, session_scope
from nurture.repo import leads as lead_repo

MAIL_TIMEOUT_S = 60.0
POLL_S = 0.01


async def first_mail(stack: Stack, address: str, timeout: float = MAIL_TIMEOUT_S) -> float:
    """When the first mail to `address` reached the sink (time.time())."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in reversed(stack.sink.messages):
            if address in mail.envelope_to:
                return mail.received_at
        await asyncio.sleep(POLL_S)
    raise BenchError(f"no mail to {address} within {timeout:.0f} s")


async def post_latency(stack: Stack, tag: str, samples: int) -> dict[str, Any]:
    """Sequentially: POST a new lead, time its answer, wait for its first mail."""
    http = HttpPool(stack.api_url, 1)
    answered: list[float] = []
    mailed: list[float] = []
    try:
        for i in range(samples):
            email = f"held-{tag}-probe-{i}@leads.example.com"
            t0 = time.time()
            r = await http.post_json("/v1/leads", lead_body(email, i), ADMIN)
            answered.append(time.time() - t0)
            if r.status != 201:
                raise BenchError(f"POST /v1/leads answered {r.status}: {r.text[:300]}")
            mailed.append(await first_mail(stack, email) - t0)
    finally:
        await http.close()
    return {"post": distribution(answered), "first_mail": distribution(mailed)}


async def webhook_score_latency(
    stack: Stack, client: Client, ids: list[str], samples: int
) -> dict[str, Any]:
    """`samples` signed +1 events, one at a time, each to another held lead (evenly spread
    over `ids`, oldest first), until its new score shows."""
    picks = [ids[i * len(ids) // samples] for i in range(samples)] if ids else []
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            rows = lead_repo.leads_by_ids_or_emails(session, {uuid.UUID(i) for i in picks}, ())
    finally:
        engine.dispose()
    by_id = {str(r.id): r for r in rows}
    bench = Bench(argparse.Namespace(concurrency=1, poll_interval_ms=5), stack, client)
    bench.cold = [by_id[i] for i in picks]
    try:
        found = await score_latency(bench, samples)
    finally:
        await bench.close()
    return {key: distribution(values) for key, values in found.items()}
