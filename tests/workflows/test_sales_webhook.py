"""The optional outbound sales webhook: signed, retried until the receiver takes it, given up
at once when the receiver refuses it; the worker closes its connections when it stops."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from http import HTTPStatus

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture import signing
from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.repo import leads
from nurture.settings import Settings
from nurture.tables import Lead
from tests.utils.factories import HOT_PROFILE, event, make_lead, start_lead
from tests.utils.http_receiver import HttpReceiver
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow

SECRET = "crm-secret"


def hooked(settings: Settings, receiver: HttpReceiver) -> Settings:
    return Settings.model_validate(
        {**settings.model_dump(), "sales_webhook_url": receiver.url, "sales_webhook_secret": SECRET}
    )


def sales_timeline(engine: Engine, lead: Lead) -> list[str]:
    with session_scope(engine) as session:
        return [e.text for e in leads.timeline(session, lead.id, {}) if e.kind == "sales"]


async def test_handoff_is_posted_signed_and_retried(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, **HOT_PROFILE)
    with HttpReceiver(statuses=[HTTPStatus.INTERNAL_SERVER_ERROR], secret=SECRET) as receiver:
        settings = hooked(settings, receiver)
        async with running_worker(ts_env.client, settings, engine):
            handle = await start_lead(ts_env.client, settings, lead)
            await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
            for _ in range(100):  # the first POST fails; the retry comes after its backoff
                await ts_env.sleep(timedelta(seconds=5))
                if any(r.status == HTTPStatus.NO_CONTENT for r in receiver.received):
                    break
                await asyncio.sleep(0.05)
        # The worker has stopped: it holds no connection to the receiver any more.
        assert await asyncio.to_thread(receiver.wait_all_closed, 30)

    assert [r.status for r in receiver.received] == [500, 204]  # 204: the signature verified
    got = receiver.received[-1]
    signing.verify(got.headers[signing.HEADER], got.body, SECRET, tolerance=10**9)
    payload = json.loads(got.body)
    assert payload["event"] == "handoff.assigned"
    assert payload["lead"]["id"] == str(lead.id) and payload["lead"]["company"] == "Acme KK"
    assert payload["rep"]["name"] == "Rep One" and payload["priority"] == "normal"
    assert got.headers["Idempotency-Key"] == f"handoff-{lead.id}-1:1:assigned"
    assert not any("webhook_failed" in text for text in sales_timeline(engine, lead))


async def test_a_refused_handoff_is_posted_once_and_the_timeline_says_why(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, **HOT_PROFILE)
    with HttpReceiver(otherwise=HTTPStatus.BAD_REQUEST) as receiver:
        settings = hooked(settings, receiver)
        async with running_worker(ts_env.client, settings, engine):
            handle = await start_lead(ts_env.client, settings, lead)
            await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
            failed: list[str] = []
            for _ in range(100):
                await ts_env.sleep(timedelta(seconds=5))
                failed = [t for t in sales_timeline(engine, lead) if "webhook_failed" in t]
                if failed:
                    break
                await asyncio.sleep(0.05)
            await ts_env.sleep(timedelta(hours=1))  # a retry would have come by now

    assert [r.status for r in receiver.received] == [400]
    assert failed == [
        "webhook_failed (Rep One): assigned: SalesWebhookRejected: sales webhook refused the "
        "event: 400 Bad Request (not retried; check the receiver and NURTURE_SALES_WEBHOOK_URL "
        "/ NURTURE_SALES_WEBHOOK_SECRET)"
    ]
