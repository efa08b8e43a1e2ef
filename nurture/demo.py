"""`nurture demo`: realistic leads driven through the running stack, for a dashboard that
shows something on day one. Everything goes through the public API, as production traffic
would: intake, signed behaviour webhooks, and sales actions with the admin token."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from typing import Any

import httpx
from rich.progress import Progress

from nurture import signing

CAMPAIGNS = [
    ("wp-dx-guide", "DX guide whitepaper", "whitepaper", 450_000, "whitepaper"),
    ("webinar-nov", "November webinar", "webinar", 300_000, "webinar"),
    ("expo-tokyo", "Tokyo DX Expo booth", "expo", 1_800_000, "whitepaper"),
    ("search-ads", "Search ads", "ads", 600_000, "whitepaper"),
    ("seo-blog", "SEO blog", "seo", 150_000, "whitepaper"),
]
TITLES = ["CEO", "CTO", "部長", "Head of IT", "Engineer", "Manager", "Analyst", "Director"]
INDUSTRIES = ["Manufacturing", "SaaS", "Retail", "Finance", "製造業", "Logistics"]
BEHAVIOUR = ["page_view", "page_view", "case_study_download", "pricing_page_view",
             "webinar_attended", "email_click", "webinar_question"]  # fmt: skip
REJECT = ["no_budget", "bad_timing", "not_a_fit", "no_authority"]
LOST = ["price", "competitor", "no_decision"]


@dataclass(frozen=True)
class Api:
    base: str
    admin: str
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}


async def _post_events(http: httpx.AsyncClient, api: Api, events: list[dict[str, Any]]) -> None:
    body = json.dumps(events).encode()
    headers = {signing.HEADER: signing.sign(body, api.secret), "Content-Type": "application/json"}
    r = await http.post(f"{api.base}/v1/events", content=body, headers=headers)
    r.raise_for_status()


async def _lead(http: httpx.AsyncClient, api: Api, rnd: random.Random, n: int) -> None:
    key, _, _, _, scenario = rnd.choice(CAMPAIGNS)
    body = {
        "email": f"demo{n:05d}@demo-customer{n % 97}.example.com",
        "name": f"Demo Lead {n}",
        "company": f"Demo Corp {n % 97}",
        "job_title": rnd.choice(TITLES),
        "industry": rnd.choice(INDUSTRIES),
        "company_size": rnd.choice([20, 80, 150, 400, 900, 3000]),
        "source": key,
        "scenario": scenario,
        "attributes": {"language": rnd.choice(["ja", "en"])},
    }
    r = await http.post(f"{api.base}/v1/leads", json=body, headers=api.headers)
    r.raise_for_status()
    lead_id = r.json()["id"]
    kinds = rnd.sample(BEHAVIOUR, k=rnd.randint(0, 4))
    if kinds:
        question = {"question": "How long does a rollout take?"}
        events = [
            {"event_id": f"demo-{n}-{i}", "lead_id": lead_id, "type": kind,
             "properties": question if kind == "webinar_question" else {}}
            for i, kind in enumerate(kinds)
        ]  # fmt: skip
        await _post_events(http, api, events)


async def _work_handoffs(http: httpx.AsyncClient, api: Api, rnd: random.Random) -> int:
    """Sales at work: most handoffs acknowledged, some rejected, deals won and lost."""
    r = await http.get(f"{api.base}/v1/handoffs", params={"open": "true"}, headers=api.headers)
    r.raise_for_status()
    done = 0
    for handoff in r.json()["items"]:
        url = f"{api.base}/v1/handoffs/{handoff['id']}"
        if handoff["status"] != "pending":
            continue
        roll = rnd.random()
        if roll < 0.15:
            continue  # left waiting: the SLA clock runs
        if roll < 0.3:
            await http.post(
                f"{url}/reject", json={"reason": rnd.choice(REJECT)}, headers=api.headers
            )
            done += 1
            continue
        await http.post(f"{url}/ack", headers=api.headers)
        outcome = rnd.random()
        if outcome < 0.6:
            amount = rnd.choice([800_000, 1_200_000, 2_500_000, 4_000_000])
            await http.post(f"{url}/opportunity", json={"amount": amount}, headers=api.headers)
            if outcome < 0.35:
                await http.post(f"{url}/won", json={"amount": amount}, headers=api.headers)
            elif outcome < 0.5:
                await http.post(
                    f"{url}/lost", json={"reason": rnd.choice(LOST)}, headers=api.headers
                )
        done += 1
    return done


async def run(api: Api, leads: int, seed: int, concurrency: int = 16) -> dict[str, int]:
    rnd = random.Random(seed)
    async with httpx.AsyncClient(timeout=60) as http:
        for key, name, channel, cost, _ in CAMPAIGNS:
            body = {"name": name, "channel": channel, "cost": str(cost)}
            r = await http.put(f"{api.base}/v1/campaigns/{key}", headers=api.headers, json=body)
            r.raise_for_status()
        gate = asyncio.Semaphore(concurrency)
        with Progress() as progress:
            task = progress.add_task("leads", total=leads)

            async def one(n: int) -> None:
                async with gate:
                    await _lead(http, api, random.Random(seed * 100_003 + n), n)
                progress.advance(task)

            await asyncio.gather(*(one(n) for n in range(leads)))
            wait = progress.add_task("sales at work", total=None)
            await asyncio.sleep(3)  # let the worker score and hand off
            worked = await _work_handoffs(http, api, rnd)
            progress.update(wait, total=1, completed=1)
    return {"leads": leads, "campaigns": len(CAMPAIGNS), "handoffs_worked": worked}
