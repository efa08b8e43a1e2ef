"""Traffic through the real HTTP API, as a well-behaved client sends it: it retries.

Intake uses the admin token, events are signed like a webhook sender signs them (re-signed
on every retry, since a signature ages). Every answer is counted by status, and a 5xx that
is not the JSON error envelope is counted apart: the contract says every error is JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from typing import Any

import httpx

from nurture import signing
from nurture.settings import DEV_ADMIN_TOKEN, DEV_WEBHOOK_SECRET

log = logging.getLogger("chaos.traffic")
# Scores 0 on the profile (no decision maker, off-target industry and size): behaviour alone
# moves the score, and it stays far below the MQL threshold (60).
LOW = {"job_title": "Engineer", "industry": "Retail", "company_size": 20}
# 20 + 15 + 10 = 45: one pricing page view (+15) makes an MQL and opens a handoff.
WARM = {"job_title": "CEO", "industry": "Manufacturing", "company_size": 500}
RETRYABLE = {500, 502, 503, 504}


def lead_body(tag: str, n: int, profile: dict[str, Any] | None = None) -> dict[str, Any]:
    """A synthetic whitepaper lead: no real person behind any address."""
    return {
        "email": f"{tag}-{n:04d}@customer.example.com",
        "name": f"Chaos Lead {n}",
        "company": "Chaos KK",
        **(profile or LOW),
        "source": f"chaos-{tag}",
        "scenario": "whitepaper",
    }


def page_views(lead_id: str, count: int, prefix: str) -> list[dict[str, Any]]:
    """`count` page views (+1 each, capped at 10 per lead) with event IDs unique to `prefix`."""
    return [
        {
            "event_id": f"{prefix}-{lead_id}-{k}",
            "lead_id": lead_id,
            "type": "page_view",
            "properties": {"path": "/docs"},
        }
        for k in range(count)
    ]


class Api:
    """An HTTP client for one stack's API; `answers` counts every status it got."""

    def __init__(self, base_url: str, timeout: float = 40.0) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
        self.answers: Counter[str] = Counter()
        self.not_json_5xx = 0

    async def close(self) -> None:
        await self.http.aclose()

    async def create_lead(self, body: dict[str, Any], within: float = 90.0) -> dict[str, Any]:
        """POST /v1/leads until it is taken (201, 200 or 202 pending), for `within` seconds."""
        return await self._until_taken("POST", "/v1/leads", json.dumps(body).encode(), within)

    async def post_events(
        self, events: list[dict[str, Any]], within: float = 90.0
    ) -> dict[str, Any]:
        """A signed POST /v1/events of `events`, retried until accepted (202)."""
        return await self._until_taken("POST", "/v1/events", json.dumps(events).encode(), within)

    async def send_once(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """One POST, no retry: its status (0: API unreachable) and JSON body ({} if none)."""
        try:
            reply = await self.http.post(path, content=body, headers=headers)
        except httpx.HTTPError:
            self.answers["unreachable"] += 1
            return 0, {}
        self._count(reply)
        try:
            data = reply.json()
        except ValueError:
            data = {}
        return reply.status_code, data if isinstance(data, dict) else {}

    async def lead(self, lead_id: str) -> dict[str, Any] | None:
        """GET /v1/leads/{id} with the admin token; None if it cannot be read now."""
        try:
            reply = await self.http.get(f"/v1/leads/{lead_id}", headers=self.admin)
        except httpx.HTTPError:
            return None
        return reply.json() if reply.status_code == 200 else None

    async def healthz(self) -> tuple[int, dict[str, Any]]:
        try:
            reply = await self.http.get("/healthz", timeout=15)
        except httpx.HTTPError as err:
            return 0, {"error": type(err).__name__}
        try:
            return reply.status_code, reply.json()
        except ValueError:
            return reply.status_code, {"body": reply.text[:200]}

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """One admin-authenticated POST (sales actions)."""
        reply = await self.http.post(path, json=body, headers=self.admin)
        self._count(reply)
        return reply

    # --- the retrying core -------------------------------------------------------------------

    def headers(self, body: bytes, signed: bool) -> dict[str, str]:
        """Signed like a webhook (now), or with the admin token."""
        headers = {"content-type": "application/json"}
        if signed:
            headers[signing.HEADER] = signing.sign(body, DEV_WEBHOOK_SECRET)
        else:
            headers.update(self.admin)
        return headers

    def _count(self, reply: httpx.Response) -> None:
        self.answers[str(reply.status_code)] += 1
        if reply.status_code >= 500 and "json" not in reply.headers.get("content-type", ""):
            self.not_json_5xx += 1

    async def _until_taken(
        self, method: str, path: str, body: bytes, within: float
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        pause, last = 0.3, "no attempt"
        signed = path == "/v1/events"
        while time.monotonic() < deadline:
            try:
                reply = await self.http.request(
                    method, path, content=body, headers=self.headers(body, signed)
                )
            except httpx.HTTPError as err:  # API down or killed mid-request: try again
                self.answers["unreachable"] += 1
                last = type(err).__name__
            else:
                self._count(reply)
                if reply.status_code < 300:
                    return reply.json()  # type: ignore[no-any-return]
                last = f"{reply.status_code} {reply.text[:120]}"
                if reply.status_code not in RETRYABLE:
                    raise TrafficError(f"{method} {path} refused: {last}")
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 2.0)
        raise TrafficError(f"{method} {path} not taken within {within:.0f} s (last: {last})")


class TrafficError(Exception):
    """A request the scenario needed was refused or never taken."""
