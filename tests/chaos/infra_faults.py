"""Scenarios around the other parts: Temporal restarts, a write-locked database, a killed API."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

from tests.chaos.run import Run
from tests.chaos.traffic import lead_body, page_views

TAKEN = (200, 201, 202)
TEMPORAL_DOWN_SECONDS = 12.0


async def temporal_restart(run: Run) -> None:
    """Intake and events flow (clients retry on 503) while the dev server is SIGTERMed and
    restarted on its db file, then SIGKILLed and restarted. During each outage a few
    intakes are sent once and never retried: their leads must still get a workflow."""
    await run.start()
    run.step(f"{run.leads} leads flowing")
    traffic = asyncio.create_task(run.leads_with_events(run.leads, "tr", 3, concurrency=4, pace=1))
    once: list[asyncio.Task[tuple[int, dict[str, Any]]]] = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        await asyncio.sleep(run.rng.uniform(2.0, 4.0))
        run.step(f"Temporal {sig.name}, restarted on its db file")
        await run.stack.signal_temporal(sig)
        for _ in range(3):  # a client that never retries
            body = json.dumps(lead_body(f"tr-once-{sig.name.lower()}", len(once))).encode()
            once.append(
                asyncio.create_task(
                    run.api.send_once("/v1/leads", body, run.api.headers(body, signed=False))
                )
            )
        # Longer than the API's own Temporal retries (about 10 s): those intakes get a 503.
        await asyncio.sleep(TEMPORAL_DOWN_SECONDS)
        await run.stack.start_temporal()
    await traffic
    results = await asyncio.gather(*once)
    for status, reply in results:
        if status in TAKEN:
            run.ledger.lead(reply)
    run.ledger.extras["once_refused"] = sum(status not in TAKEN for status, _ in results)
    run.ledger.extras["answers_503"] = run.api.answers["503"]
    run.step("settling")
    await run.settle(180)


def _hold_write_lock(path: Path, seconds: float) -> None:
    """Another connection holds `BEGIN EXCLUSIVE` on the read model for `seconds`."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        conn.execute("ROLLBACK")
    finally:
        conn.close()


async def db_locked(run: Run) -> None:
    """The SQLite file write-locked for --lock-seconds while mail sits in DATA (so its 250
    arrives under the lock) and events and intakes keep coming."""
    await run.start()
    seconds = run.options.lock_seconds
    run.relay.data_delay = 2.0
    run.step(f"{run.leads} leads; mail held 2 s in DATA")
    first = asyncio.create_task(run.leads_with_events(run.leads, "dl", 2))

    async def in_data() -> bool:
        return run.relay.in_data >= 6

    await run.wait_until("mail inside DATA", in_data, 60, every=0.02)
    run.step(f"database write-locked for {seconds:.0f} s")
    lock = asyncio.create_task(asyncio.to_thread(_hold_write_lock, run.stack.db_path, seconds))
    await asyncio.sleep(0.5)
    run.relay.data_delay = 0.0
    later = asyncio.create_task(run.leads_with_events(5, "dl-late", 2))
    await asyncio.sleep(min(10.0, seconds / 2))
    status, health = await run.api.healthz()
    database = health.get("checks", {}).get("database")
    run.ledger.check(
        database != "ok",
        f"GET /healthz said {status} (database {database!r}) while the database was locked",
    )
    run.step("events for every lead so far, under the lock")
    await run.send_events(
        [e for lead in list(run.ledger.leads) for e in page_views(lead, 1, "dl-lk")]
    )
    await lock
    run.step("lock released")
    await asyncio.gather(first, later)
    run.ledger.extras["answers_5xx"] = sum(n for s, n in run.api.answers.items() if s[0] == "5")
    run.step("settling")
    await run.settle(240)


async def kill_api(run: Run) -> None:
    """`kill -9` of the API during a 500-event POST; the client retries until accepted."""
    await run.start()
    ids = await run.create_leads(run.leads, "ka")
    kills, landed = run.options.kills or 3, 0
    for k in range(kills):
        events = _bulk(ids, 500, f"ka{k}")
        run.step(f"500-event POST {k + 1}/{kills}, API killed during it")
        post = asyncio.create_task(run.api.post_events(events, within=120))
        await asyncio.sleep(run.rng.uniform(0.05, 0.4))
        landed += not post.done()
        await run.stack.kill_api()
        await run.stack.start_api()
        await post
        run.ledger.sent(events)
    run.ledger.extras["killed_mid_post"] = landed
    run.ledger.check(landed > 0, "no kill landed while a POST was in flight")
    run.step("settling")
    await run.settle(180)


def _bulk(ids: list[str], count: int, prefix: str) -> list[dict[str, Any]]:
    """`count` events over the leads: one page view each (+1), the rest mail opens (0)."""
    events = [e for lead in ids for e in page_views(lead, 1, prefix)]
    for n in range(count - len(events)):
        lead, message = ids[n % len(ids)], f"{prefix}-{n}"
        events.append(
            {
                "event_id": f"{prefix}-open-{n}",
                "lead_id": lead,
                "type": "email_open",
                "properties": {"message": message},
            }
        )
    return events[:count]
