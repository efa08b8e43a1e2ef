"""The demo's intake, as a website and a form tool would send it: the campaigns, then each
lead through `POST /v1/leads` and its behaviour through signed `POST /v1/events`."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import httpx

from nurture import signing
from nurture.cli.demo.population import ASSETS, CAMPAIGNS, make_lead
from nurture.cli.demo.session import DemoError, DemoSession
from nurture.settings import DEV_SITE_PATH
from scenarios.email_policy import SEND_WINDOW

NO_WORKER_AFTER = 16  # this many leads answered 202 (no worker) and none answered 201


async def campaigns(demo: DemoSession) -> None:
    site = f"{demo.api.base}{DEV_SITE_PATH}"
    for key, name, channel, cost, _ in CAMPAIGNS:
        title, path, links = ASSETS[key]
        body: dict[str, object] = {
            "name": name,
            "channel": channel,
            "asset": {"title": title, "url": f"{site}{path}"},
            "links": {link: f"{site}{to}" for link, to in links.items()},
        }
        if cost is not None:
            body["cost"] = str(cost)
        r = await demo.send(
            "PUT", f"{demo.api.base}/v1/campaigns/{key}", headers=demo.api.headers, json=body
        )
        r.raise_for_status()


async def intake(demo: DemoSession, n: int) -> None:
    """Lead `n` (the same for the same seed) and its events; raises DemoError when no worker
    has answered for any lead so far."""
    body, events, reader = make_lead(random.Random(demo.seed * 100_003 + n), n)
    demo.readers[body["email"]] = reader
    r = await demo.send("POST", f"{demo.api.base}/v1/leads", json=body, headers=demo.api.headers)
    r.raise_for_status()
    demo.lead_ids.add(str(r.json()["id"]))
    demo.summary.leads += 1
    now = datetime.now(UTC)
    demo.summary.in_hours += SEND_WINDOW.next_slot(now, body["timezone"]) == now
    if r.status_code == httpx.codes.ACCEPTED:
        demo.summary.pending_intake += 1
        pending = demo.summary.pending_intake
        if pending >= NO_WORKER_AFTER and pending == len(demo.lead_ids):
            raise DemoError(
                f"no worker answered for the first {demo.summary.pending_intake} leads "
                "(202 pending): is `nurture worker` running on the API's task queue?"
            )
    data = json.dumps(events).encode()
    headers = {signing.HEADER: signing.sign(data, demo.api.secret)}
    r = await demo.send(
        "POST",
        f"{demo.api.base}/v1/events",
        content=data,
        headers=headers | {"Content-Type": "application/json"},
    )
    r.raise_for_status()
    demo.news()
