"""One demo run: campaigns and leads in, people reading and sales working beside the intake,
then waiting until nothing moves (mail read, handoffs worked, no lead waiting for its
handoff) or the timeout, which is reported as a problem."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from rich.progress import Progress

from nurture.cli.demo.intake import campaigns, intake
from nurture.cli.demo.mail_readers import MailReaders
from nurture.cli.demo.population import CAMPAIGNS
from nurture.cli.demo.sales_desk import SalesDesk
from nurture.cli.demo.session import POLL_SECONDS, Api, DemoSession
from nurture.cli.demo.summary import Summary

QUIET_SECONDS = 2.0  # nothing new for this long (and no lead between MQL and handoff): done


async def run(
    api: Api,
    leads: int,
    seed: int,
    mail_folder: Path | None = None,
    timeout: float = 120.0,
    concurrency: int = 16,
) -> Summary:
    """Drive `leads` demo leads through the stack at `api` and wait until things settle."""
    async with httpx.AsyncClient(timeout=60) as http:
        demo = DemoSession(http, api, seed, Summary(campaigns=len(CAMPAIGNS)))
        await campaigns(demo)
        gate = asyncio.Semaphore(concurrency)
        with Progress() as progress:
            taken = progress.add_task("leads", total=leads)
            pollers = [
                asyncio.create_task(SalesDesk(demo).poll()),
                asyncio.create_task(MailReaders(demo, mail_folder).watch()),
            ]

            async def one(n: int) -> None:
                async with gate:
                    await intake(demo, n)
                progress.advance(taken)

            try:
                await asyncio.gather(*(one(n) for n in range(leads)))
                demo.summary.intake_seconds = time.time() - demo.started
                settling = progress.add_task("mail read, sales at work", total=None)
                await settle(demo, pollers, timeout)
                progress.update(settling, total=1, completed=1)
            finally:
                for task in pollers + demo.tasks:
                    task.cancel()
    demo.summary.seconds = time.time() - demo.started
    return demo.summary


async def settle(demo: DemoSession, pollers: list[asyncio.Task[None]], timeout: float) -> None:
    """Until nothing moves: mail read, handoffs worked, no lead waiting for its handoff."""
    deadline = time.monotonic() + timeout
    while True:
        await asyncio.sleep(POLL_SECONDS)
        for task in pollers + demo.tasks:
            if task.done():
                task.result()  # raises what stopped a poller (the API) or a bug
        busy = any(not t.done() for t in demo.tasks)
        quiet = time.monotonic() - demo.last_news >= QUIET_SECONDS
        waiting = await between_mql_and_handoff(demo)
        if not busy and not waiting and quiet:
            return
        if time.monotonic() > deadline:
            if waiting:
                demo.summary.problems.append(
                    f"{waiting} leads reached MQL but got no handoff within {timeout:.0f} s"
                )
            if busy:
                demo.summary.problems.append(
                    f"mail reads or sales actions still running after {timeout:.0f} s"
                )
            return


async def between_mql_and_handoff(demo: DemoSession) -> int:
    """Demo leads that crossed the threshold and have no handoff yet."""
    r = await demo.http.get(
        f"{demo.api.base}/v1/leads",
        params={"stage": "mql", "limit": 500},
        headers=demo.api.headers,
    )
    r.raise_for_status()
    return sum(str(lead["id"]) in demo.lead_ids for lead in r.json()["items"])
