"""Sales at work in the demo: each new handoff of a demo lead is worked to an outcome from a
fixed plan (won, lost, rejected, in progress, left pending), with the admin token, as a rep
would through the API."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx

from nurture.cli.demo.session import POLL_SECONDS, DemoSession

# What sales does with the n-th handoff, cycling: 4 won, 3 lost, 3 open opportunities,
# 5 accepted and in progress, 4 rejected, 1 left waiting (its SLA clock runs) in every 20.
PLAN = [
    "won",
    "reject",
    "ack",
    "opportunity",
    "lost",
    "ack",
    "won",
    "reject",
    "ack",
    "lost",
    "opportunity",
    "won",
    "reject",
    "ack",
    "lost",
    "won",
    "opportunity",
    "reject",
    "ack",
    "pending",
]
REJECT = ["no_budget", "bad_timing", "not_a_fit", "no_authority", "no_need"]
LOST = ["price", "competitor", "no_decision", "timing"]
AMOUNTS = [800_000, 1_200_000, 2_500_000, 4_000_000, 6_000_000]


def steps(plan: str, amount: int, rnd: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """The sales actions, in order, that carry a handoff to the planned outcome."""
    ack: tuple[str, dict[str, Any]] = ("ack", {})
    opportunity: tuple[str, dict[str, Any]] = ("opportunity", {"amount": amount})
    if plan == "reject":
        return [("reject", {"reason": rnd.choice(REJECT)})]
    if plan == "lost":  # some deals are lost before they become an opportunity
        before = [ack, opportunity][: rnd.choice([1, 2, 2])]
        return [*before, ("lost", {"reason": rnd.choice(LOST)})]
    plans = {"pending": [], "ack": [ack], "opportunity": [ack, opportunity]}
    return plans.get(plan, [ack, opportunity, ("won", {"amount": amount})])


class SalesDesk:
    def __init__(self, demo: DemoSession) -> None:
        self.demo = demo
        self.gate = asyncio.Semaphore(8)

    async def poll(self) -> None:
        """Poll the handoffs; work each new one of a demo lead by the plan."""
        demo = self.demo
        seen: set[str] = set()
        while True:
            r = await demo.http.get(
                f"{demo.api.base}/v1/handoffs", params={"open": "true"}, headers=demo.api.headers
            )
            r.raise_for_status()
            for handoff in reversed(r.json()["items"]):  # oldest first
                fresh = handoff["id"] not in seen and str(handoff["lead_id"]) in demo.lead_ids
                if fresh and handoff["status"] == "pending":
                    seen.add(handoff["id"])
                    demo.news()
                    demo.spawn(self._work(handoff["id"], len(seen) - 1))
            await asyncio.sleep(POLL_SECONDS)

    async def _work(self, handoff_id: str, nth: int) -> None:
        demo = self.demo
        plan, rnd = PLAN[nth % len(PLAN)], random.Random(f"{demo.seed}:handoff:{nth}")
        amount = rnd.choice(AMOUNTS)
        async with self.gate:
            for action, body in steps(plan, amount, rnd):
                url = f"{demo.api.base}/v1/handoffs/{handoff_id}/{action}"
                try:
                    r = await demo.send("POST", url, json=body, headers=demo.api.headers)
                except httpx.HTTPError as err:
                    demo.problem(f"POST {url}", err)
                    return
                if r.status_code != httpx.codes.OK:
                    demo.problem(f"POST {url}", r)
                    return
        demo.summary.handoffs[plan] += 1
        demo.summary.revenue += amount if plan == "won" else 0
        demo.news()
