"""The sales webhook activity in the SDK's ActivityEnvironment, against a real receiver on
127.0.0.1: what the CRM gets, and which failures Temporal retries (by the error's type)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.sales_webhook import SalesWebhookActivities, WebhookFailure, webhook_client
from nurture.db import session_scope
from nurture.mailsink import free_port
from nurture.models import HandoffRecord, HandoffStatus, NotifyRepInput
from nurture.repo import handoffs, reps
from nurture.settings import Settings
from tests.utils.factories import HOT_PROFILE, make_lead
from tests.utils.http_receiver import HttpReceiver

SECRET = "crm-secret"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with webhook_client() as client:
        yield client


def posting_to(
    url: str, settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> SalesWebhookActivities:
    hooked = Settings.model_validate(
        {**settings.model_dump(), "sales_webhook_url": url, "sales_webhook_secret": SECRET}
    )
    return SalesWebhookActivities(engine, hooked, http)


def assigned(engine: Engine) -> NotifyRepInput:
    """A lead handed to Rep One, as the handoff workflow records it, and its notice."""
    lead = make_lead(engine, **HOT_PROFILE)
    at = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    handoff_id = f"handoff-{lead.id}-1"
    with session_scope(engine) as session:
        rep = reps.find_rep(session, "rep.one@sales.example.com")
        record = HandoffRecord(
            handoff_id=handoff_id,
            lead_id=str(lead.id),
            at=at,
            event="assigned",
            status=HandoffStatus.PENDING,
            rep_id=str(rep.id),
            priority="normal",
            score=60,
        )
        handoffs.record(session, record)
        rep_id = str(rep.id)
    return NotifyRepInput(
        handoff_id=handoff_id, rep_id=rep_id, at=at, deadline=at + timedelta(hours=4)
    )


async def failure(activities: SalesWebhookActivities, notice: NotifyRepInput) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.post_handoff_event, notice)
    return caught.value


async def test_the_receiver_gets_the_handoff_signed_with_its_secret(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    with HttpReceiver(secret=SECRET) as receiver:
        activities = posting_to(receiver.url, settings, engine, http)
        await ActivityEnvironment().run(activities.post_handoff_event, notice)

    [got] = receiver.received
    assert got.status == HTTPStatus.NO_CONTENT  # the receiver verified the signature
    payload = json.loads(got.body)
    assert payload["event"] == "handoff.assigned" and payload["handoff_id"] == notice.handoff_id
    assert payload["lead"]["company"] == "Acme KK" and payload["rep"]["name"] == "Rep One"
    assert payload["priority"] == "normal" and payload["score"] == 60
    assert payload["deadline"] == "2026-12-01T05:00:00+00:00"
    assert got.headers["Idempotency-Key"] == f"{notice.handoff_id}:1:assigned"


async def test_nothing_is_posted_without_a_webhook_url(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    with HttpReceiver() as receiver:
        activities = SalesWebhookActivities(engine, settings, http)  # no NURTURE_SALES_WEBHOOK_URL
        await ActivityEnvironment().run(activities.post_handoff_event, notice)
    assert receiver.received == []


@pytest.mark.parametrize("status", [500, 503, 408, 429])
async def test_a_receiver_down_or_busy_is_retried(
    settings: Settings, engine: Engine, http: httpx.AsyncClient, status: int
) -> None:
    notice = assigned(engine)
    with HttpReceiver(statuses=[status]) as receiver:
        err = await failure(posting_to(receiver.url, settings, engine, http), notice)
    assert err.type == WebhookFailure.FAILED and not err.non_retryable
    assert err.message == f"sales webhook answered {status} {HTTPStatus(status).phrase}"


@pytest.mark.parametrize("status", [400, 404, 422])
async def test_a_refusal_is_not_retried(
    settings: Settings, engine: Engine, http: httpx.AsyncClient, status: int
) -> None:
    notice = assigned(engine)
    with HttpReceiver(statuses=[status]) as receiver:
        err = await failure(posting_to(receiver.url, settings, engine, http), notice)
    assert err.type == WebhookFailure.REJECTED and err.non_retryable
    assert f"refused the event: {status} {HTTPStatus(status).phrase}" in err.message
    assert receiver.url not in err.message  # the timeline never shows the URL (or its token)


async def test_a_wrong_secret_is_refused_and_not_retried(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    with HttpReceiver(secret="the-crm-expects-another") as receiver:
        err = await failure(posting_to(receiver.url, settings, engine, http), notice)
    assert [r.status for r in receiver.received] == [HTTPStatus.UNAUTHORIZED]
    assert err.type == WebhookFailure.REJECTED and err.non_retryable
    assert "401 Unauthorized" in err.message and "NURTURE_SALES_WEBHOOK_SECRET" in err.message


async def test_a_receiver_too_slow_to_answer_is_retried(settings: Settings, engine: Engine) -> None:
    notice = assigned(engine)
    with HttpReceiver() as receiver:
        receiver.hold()  # answers only once the test is over
        async with webhook_client(timeout=0.2) as impatient:
            err = await failure(posting_to(receiver.url, settings, engine, impatient), notice)
    assert err.type == WebhookFailure.UNREACHABLE and not err.non_retryable
    assert "Timeout" in err.message


async def test_a_receiver_not_listening_is_retried(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    url = f"http://127.0.0.1:{free_port()}/hooks/handoffs"
    err = await failure(posting_to(url, settings, engine, http), notice)
    assert err.type == WebhookFailure.UNREACHABLE and not err.non_retryable
    assert err.message.startswith("sales webhook unreachable: ConnectError")


async def test_a_url_that_cannot_work_is_not_retried(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    err = await failure(posting_to("ftp://crm.example.com/hooks", settings, engine, http), notice)
    assert err.type == WebhookFailure.MISCONFIGURED and err.non_retryable
    assert "NURTURE_SALES_WEBHOOK_URL" in err.message


async def test_a_cancelled_post_stops_and_the_next_one_goes_through(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    """A worker shutting down cancels a POST in flight; the shared client keeps working."""
    first, second = assigned(engine), assigned(engine)
    env = ActivityEnvironment()
    with HttpReceiver() as receiver:
        activities = posting_to(receiver.url, settings, engine, http)
        receiver.hold()
        posting = asyncio.create_task(env.run(activities.post_handoff_event, first))
        assert await asyncio.to_thread(receiver.arrived.wait, 30)
        env.cancel()
        with pytest.raises(asyncio.CancelledError):
            await posting
        receiver.released.set()
        await ActivityEnvironment().run(activities.post_handoff_event, second)

    delivered = [json.loads(r.body)["handoff_id"] for r in receiver.received]
    assert delivered[-1] == second.handoff_id
    assert [r.status for r in receiver.received][-1] == HTTPStatus.NO_CONTENT
