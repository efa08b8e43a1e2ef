"""Telling Slack, a CRM or anything else about handoffs: a signed JSON POST, retried.

The worker builds one `httpx.AsyncClient` for every POST (its connection pool is shared,
and it is closed when the worker stops). Failures are typed `ApplicationError`s, so the
retry policy and any caller tell them apart by `type`, never by message: a receiver that
refuses the event (a 4xx other than 408 and 429) will refuse it again, so it is not
retried; a receiver down, busy or slow is. Messages never carry the URL, which may hold
the receiver's token (Slack's do), nor anything about the lead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from enum import StrEnum
from http import HTTPStatus
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from nurture import signing
from nurture.db import session_scope
from nurture.models import NotifyRepInput
from nurture.repo import account_handoffs, handoffs, leads, reps
from nurture.settings import Settings
from nurture.tables import Handoff, Lead

TIMEOUT_SECONDS = 10.0  # per POST; the workflow's start-to-close timeout is longer
RETRYABLE_4XX = frozenset({HTTPStatus.REQUEST_TIMEOUT, HTTPStatus.TOO_MANY_REQUESTS})


class WebhookFailure(StrEnum):
    """The `ApplicationError.type` of each way a POST can fail."""

    REJECTED = "SalesWebhookRejected"  # a 4xx but 408/429: not retried
    FAILED = "SalesWebhookFailed"  # 5xx, 408, 429, a redirect: retried
    UNREACHABLE = "SalesWebhookUnreachable"  # no answer: refused, reset, timed out; retried
    MISCONFIGURED = "SalesWebhookMisconfigured"  # the URL cannot be used at all: not retried


class _UrlPathHidden(logging.Filter):
    """httpx logs every request's URL at INFO; a webhook's path is its credential (Slack's
    are), so the log keeps the host and drops the path and query."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], httpx.URL):
            url = args[1]
            shown = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "") + "/…"
            record.args = (args[0], shown, *args[2:])
        return True


def webhook_client(timeout: float = TIMEOUT_SECONDS) -> httpx.AsyncClient:
    """The one client a worker's webhook POSTs share; the worker closes it when it stops."""
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _UrlPathHidden) for f in httpx_log.filters):
        httpx_log.addFilter(_UrlPathHidden())
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)


class SalesWebhookActivities:
    def __init__(self, engine: Engine, settings: Settings, http: httpx.AsyncClient) -> None:
        self._engine = engine
        self._settings = settings
        self._http = http

    @activity.defn
    async def post_handoff_event(self, notice: NotifyRepInput) -> None:
        """POST the handoff event to NURTURE_SALES_WEBHOOK_URL, if one is set.

        Raises:
            ApplicationError: typed by `WebhookFailure`; `REJECTED` and `MISCONFIGURED`
                are non-retryable.
        """
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
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as err:
            raise ApplicationError(
                f"NURTURE_SALES_WEBHOOK_URL cannot be used: {err}",
                type=WebhookFailure.MISCONFIGURED,
                non_retryable=True,
            ) from None
        except httpx.TransportError as err:
            raise ApplicationError(
                f"sales webhook unreachable: {described(err)}", type=WebhookFailure.UNREACHABLE
            ) from None
        _check(response)

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
                # An account handed over as a whole: its other engaged people (else null).
                "account": self._account(session, handoff, lead),
            }

    def _account(
        self, session: Session, handoff: Handoff | None, carrier: Lead | None
    ) -> dict[str, Any] | None:
        """`carrier`: the handoff's lead, already read for the payload."""
        group = account_handoffs.group_of(session, handoff) if handoff else []
        if not group:
            return None
        base = self._settings.public_url.rstrip("/")
        return {
            "id": str(carrier.account_id) if carrier and carrier.account_id else None,
            "leads": [
                {
                    "id": str(p.id),
                    "name": p.name,
                    "email": p.email,
                    "url": f"{base}/v1/leads/{p.id}",
                }
                for p in group
            ],
        }


def _check(response: httpx.Response) -> None:
    """Accept a 2xx; raise the typed failure for any other answer."""
    status = response.status_code
    if 200 <= status < 300:
        return
    answer = f"{status} {response.reason_phrase}".strip()
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        raise ApplicationError(
            f"sales webhook refused the event: {answer} (not retried; check the receiver "
            "and NURTURE_SALES_WEBHOOK_URL / NURTURE_SALES_WEBHOOK_SECRET)",
            type=WebhookFailure.REJECTED,
            non_retryable=True,
        )
    raise ApplicationError(f"sales webhook answered {answer}", type=WebhookFailure.FAILED)


def described(err: httpx.TransportError) -> str:
    """The error's class and text (httpx's texts name no URL): `ReadTimeout: timed out`."""
    text = str(err)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
