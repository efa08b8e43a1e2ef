"""Speaking to the API as a client does: signed webhooks, rep tokens, polling a lead."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from tests.utils.stack import ApiServer

REP_ONE = {"Authorization": "Bearer dev-rep-1"}


REP_TWO = {"Authorization": "Bearer dev-rep-2"}


async def post_events(http: httpx.AsyncClient, api: ApiServer, events: Any) -> httpx.Response:
    body = json.dumps(events).encode()
    return await http.post("/v1/events", content=body, headers=api.signed(body))


async def lead_when(
    http: httpx.AsyncClient, api: ApiServer, lead_id: str, ready: Any, timeout: float = 15
) -> dict[str, Any]:
    """Poll the lead until `ready(lead)` holds; return the last state either way."""
    deadline = time.monotonic() + timeout
    while True:
        lead: dict[str, Any] = (await http.get(f"/v1/leads/{lead_id}", headers=api.admin)).json()
        if ready(lead) or time.monotonic() > deadline:
            return lead
        await asyncio.sleep(0.1)
