"""Scenarios of clients that repeat themselves: retried webhooks, racing intakes."""

from __future__ import annotations

import asyncio
import json

from tests.chaos.run import Run
from tests.chaos.traffic import lead_body, page_views


async def webhook_retries(run: Run) -> None:
    """One signed batch sent 5x in a row, another 5x at once: each event counts once."""
    await run.start()
    ids = await run.create_leads(run.leads, "wr")
    for how in ("in a row", "at once"):
        events = [e for lead in ids for e in page_views(lead, 3, f"wr-{how[:2]}")]
        body = json.dumps(events).encode()
        headers = run.api.headers(body, signed=True)  # the very same signature each time
        run.step(f"the same signed batch of {len(events)} 5x {how}")
        if how == "in a row":
            statuses = [(await run.api.send_once("/v1/events", body, headers))[0] for _ in range(5)]
        else:
            sends = [run.api.send_once("/v1/events", body, headers) for _ in range(5)]
            statuses = [status for status, _ in await asyncio.gather(*sends)]
        run.ledger.check(statuses == [202] * 5, f"batch sent 5x {how} answered {statuses}")
        if 202 in statuses:
            run.ledger.sent(events)
    run.step("settling")
    await run.settle(90)


def _cased(email: str, variant: int) -> str:
    """The address in its `variant`-th letter case (bit k of `variant` upper-cases letter k)."""
    letters = [i for i, ch in enumerate(email) if ch.isalpha()]
    chars = list(email)
    for bit, index in enumerate(letters[:16]):
        if variant >> bit & 1:
            chars[index] = chars[index].upper()
    return "".join(chars)


async def intake_case(run: Run) -> None:
    """10 concurrent intakes of one address in different letter case: one lead, one
    workflow, one mail."""
    await run.start()
    for n in range(run.leads):
        body = lead_body("case", n)
        variants = [_cased(str(body["email"]), v * 2731 + 1) for v in range(10)]
        run.step(f"10 concurrent intakes of address {n + 1} in {len(set(variants))} cases")
        replies = await asyncio.gather(
            *(run.api.create_lead({**body, "email": email}) for email in variants)
        )
        ids = {str(r["id"]) for r in replies}
        created = sum(bool(r.get("created")) for r in replies)
        run.ledger.check(len(ids) == 1, f"one address in 10 cases made {len(ids)} leads")
        run.ledger.check(created == 1, f"{created} of 10 intakes said created")
        for reply in replies:
            run.ledger.lead(reply)
    run.step("settling")
    await run.settle(90)
    workflows = [wf async for wf in run.stack.client.list_workflows("WorkflowType='LeadWorkflow'")]
    run.ledger.check(
        len(workflows) == run.leads, f"{len(workflows)} lead workflows for {run.leads} address(es)"
    )
