"""The Slack post in the SDK's ActivityEnvironment, against a real receiver on 127.0.0.1:
what the channel gets, and which answers Temporal retries (by the error's type)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.chat import ChatActivities, ChatFailure
from activities.sales_webhook import webhook_client
from nurture.db import session_scope
from nurture.mailsink import free_port
from nurture.models import HandoffRecord, HandoffStatus, NoticeKind, NotifyRepInput
from nurture.repo import handoffs, reps
from nurture.settings import Settings
from tests.utils.factories import HOT_PROFILE, make_lead
from tests.utils.http_receiver import HttpReceiver

AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tue 10:00 in Tokyo


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with webhook_client() as client:
        yield client


def posting_to(
    url: str | None, settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> ChatActivities:
    slack = SecretStr(url) if url else None
    chatty = Settings.model_validate({**settings.model_dump(), "slack_webhook_url": slack})
    return ChatActivities(engine, chatty, http)


def assigned(engine: Engine, kind: NoticeKind = NoticeKind.ASSIGNED) -> NotifyRepInput:
    """A lead handed to Rep One by round-robin, as the handoff workflow records it."""
    lead = make_lead(engine, **HOT_PROFILE)
    with session_scope(engine) as session:
        rep = reps.find_rep(session, "rep.one@sales.example.com")
        handoffs.record(
            session,
            HandoffRecord(
                handoff_id=f"handoff-{lead.id}-1",
                lead_id=str(lead.id),
                at=AT,
                event="assigned",
                status=HandoffStatus.PENDING,
                rep_id=str(rep.id),
                priority="normal",
                score=60,
                assignment_reason="round-robin: next in turn of 3",
            ),
        )
        rep_id = str(rep.id)
    return NotifyRepInput(
        handoff_id=f"handoff-{lead.id}-1",
        rep_id=rep_id,
        kind=kind,
        at=AT,
        deadline=AT + timedelta(hours=5),
    )


async def failure(activities: ChatActivities, notice: NotifyRepInput) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.post_chat, notice)
    return caught.value


async def test_the_channel_gets_block_kit_with_buttons_to_the_workspace_lead_page(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    with HttpReceiver(otherwise=HTTPStatus.OK, answer=b"ok") as slack:
        await ActivityEnvironment().run(
            posting_to(slack.url, settings, engine, http).post_chat, notice
        )

    [got] = slack.received
    assert got.headers["Content-Type"] == "application/json"
    body = json.loads(got.body)
    assert body["text"] == (
        "New lead for Rep One: Yamada Hanako (Acme KK), score 60, "
        "acknowledge by Tue, Dec 1, 15:00 JST"
    )
    assert "round-robin" not in got.body.decode()  # the assignment's reason is ours, not theirs
    [actions] = [b for b in body["blocks"] if b["type"] == "actions"]
    # The channel is shared: no button is a rep's signed link; each opens the lead's page,
    # where only the handoff's rep, signed in, can act.
    page = f"http://nurture.test/sales/handoffs/{notice.handoff_id}"
    assert [b["url"] for b in actions["elements"]] == [
        f"{page}#form-ack",
        f"{page}#details-reject",
        page,
    ]
    assert "/r/" not in got.body.decode()


async def test_a_retried_post_is_the_same_message(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    with HttpReceiver(otherwise=HTTPStatus.OK) as slack:
        activities = posting_to(slack.url, settings, engine, http)
        await ActivityEnvironment().run(activities.post_chat, notice)
        await ActivityEnvironment().run(activities.post_chat, notice)
    first, second = slack.received
    assert first.body == second.body


async def test_nothing_is_posted_without_a_slack_url(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    with HttpReceiver() as slack:
        await ActivityEnvironment().run(posting_to(None, settings, engine, http).post_chat, notice)
    assert slack.received == []


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_slack_busy_or_down_is_retried(
    settings: Settings, engine: Engine, http: httpx.AsyncClient, status: int
) -> None:
    notice = assigned(engine)
    with HttpReceiver(statuses=[status]) as slack:
        err = await failure(posting_to(slack.url, settings, engine, http), notice)
    assert err.type == ChatFailure.FAILED and not err.non_retryable
    assert err.message == f"Slack answered {status} {HTTPStatus(status).phrase}"


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (400, "invalid_payload"),
        (403, "invalid_token"),
        (404, "no_service"),
        (410, "channel_is_archived"),
    ],
)
async def test_a_refusal_says_what_slack_answered_and_is_not_retried(
    settings: Settings, engine: Engine, http: httpx.AsyncClient, status: int, said: str
) -> None:
    notice = assigned(engine)
    with HttpReceiver(otherwise=status, answer=said.encode()) as slack:
        err = await failure(posting_to(slack.url, settings, engine, http), notice)
    assert err.type == ChatFailure.REJECTED and err.non_retryable
    assert (
        f"Slack refused the message: {status} {HTTPStatus(status).phrase} ({said})" in err.message
    )
    assert "NURTURE_SLACK_WEBHOOK_URL" in err.message
    assert slack.url not in err.message and "127.0.0.1" not in err.message  # the URL is the key


async def test_slack_not_listening_is_retried(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/secret"
    err = await failure(posting_to(url, settings, engine, http), notice)
    assert err.type == ChatFailure.UNREACHABLE and not err.non_retryable
    assert err.message.startswith("Slack unreachable: ConnectError")
    assert "secret" not in err.message


async def test_a_url_that_cannot_work_is_not_retried(
    settings: Settings, engine: Engine, http: httpx.AsyncClient
) -> None:
    notice = assigned(engine)
    activities = posting_to("hooks.slack.com/services/T0/B0/secret", settings, engine, http)
    err = await failure(activities, notice)
    assert err.type == ChatFailure.MISCONFIGURED and err.non_retryable
    assert "NURTURE_SLACK_WEBHOOK_URL" in err.message and "secret" not in err.message


async def test_the_webhook_url_never_reaches_the_log(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The URL is Slack's credential; httpx logs every request's URL at INFO."""
    caplog.set_level(logging.DEBUG)
    notice = assigned(engine)
    with HttpReceiver(otherwise=HTTPStatus.OK) as slack:
        url = slack.url.replace("/hooks/handoffs", "/services/T0/B0/the-token")
        async with webhook_client() as http:
            await ActivityEnvironment().run(
                posting_to(url, settings, engine, http).post_chat, notice
            )
    assert slack.received and "the-token" not in caplog.text
