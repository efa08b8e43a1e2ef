"""Telling Slack, a CRM or anything else about handoffs: a signed JSON POST, retried."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from temporalio import activity

from nurture import signing
from nurture.db import session_scope
from nurture.models import NotifyRepInput
from nurture.repo import handoffs, leads, reps
from nurture.settings import Settings


class SalesWebhookActivities:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

    @activity.defn
    async def post_handoff_event(self, notice: NotifyRepInput) -> None:
        """POST the handoff event to NURTURE_SALES_WEBHOOK_URL, if one is set; non-2xx retries."""
        url = self._settings.sales_webhook_url
        if not url:
            return
        payload = await asyncio.to_thread(self._payload, notice)
        body = json.dumps(payload, separators=(",", ":")).encode()
        secret = self._settings.sales_webhook_secret or self._settings.webhook_secret
        headers = {
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(body, secret.get_secret_value()),
            "Idempotency-Key": f"{notice.handoff_id}:{notice.attempt}:{notice.kind.value}",
        }
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url, content=body, headers=headers)
        if response.status_code // 100 != 2:
            raise RuntimeError(f"sales webhook answered {response.status_code}")

    def _payload(self, notice: NotifyRepInput) -> dict[str, Any]:
        with session_scope(self._engine) as session:
            handoff = handoffs.get(session, notice.handoff_id)
            rep = reps.get_rep(session, uuid.UUID(notice.rep_id))
            lead = leads.get_lead(session, handoff.lead_id) if handoff else None
            return {
                "event": f"handoff.{notice.kind.value}",
                "handoff_id": notice.handoff_id,
                "at": notice.at.isoformat(),
                "deadline": notice.deadline.isoformat() if notice.deadline else None,
                "priority": handoff.priority if handoff else None,
                "score": handoff.score if handoff else None,
                "rep": {"name": rep.name, "email": rep.email} if rep else None,
                "lead": {
                    "id": str(lead.id),
                    "name": lead.name,
                    "company": lead.company,
                    "email": lead.email,
                    "url": f"{self._settings.public_url.rstrip('/')}/v1/leads/{lead.id}",
                }
                if lead
                else None,
            }
