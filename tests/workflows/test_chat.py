"""Slack beside the SLA on the time-skipping server: every assignment, reminder, escalation
and reassignment is posted; a Slack that keeps failing is given up (chat_failed) and the
handoff works on; without a Slack URL the handoff schedules no chat activity at all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.models import HandoffStatus, SalesAction
from nurture.repo import handoffs, leads
from nurture.rules import rep_words
from nurture.settings import Settings
from scenarios.sla import SLA
from tests.utils.api import REP_ONE
from tests.utils.clock import skip_to
from tests.utils.factories import HOT_PROFILE, event, make_lead, start_lead
from tests.utils.http_receiver import HttpReceiver
from tests.utils.stack import running_worker, serve_api
from workflows import policies
from workflows.handoff import SalesHandoffWorkflow
from workflows.lead import LeadWorkflow

MINUTE = timedelta(minutes=1)


@pytest.fixture
def slack() -> Iterator[HttpReceiver]:
    with HttpReceiver(otherwise=HTTPStatus.OK, answer=b"ok") as receiver:
        yield receiver


def chatty(settings: Settings, slack: HttpReceiver) -> Settings:
    url = SecretStr(slack.url)
    return Settings.model_validate({**settings.model_dump(), "slack_webhook_url": url})


async def handed_off(env: WorkflowEnvironment, settings: Settings, engine: Engine) -> str:
    """A lead at 60 points handed to Rep One, assigned on a Wednesday 10:00 in Tokyo."""
    await skip_to(env, 2, 10, SLA.calendar)
    lead = make_lead(engine, **HOT_PROFILE)
    handle = await start_lead(env.client, settings, lead)
    await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
    return f"handoff-{lead.id}-1"


async def until(check: Callable[[], bool], env: WorkflowEnvironment, step: timedelta) -> bool:
    """Whether `check` holds, moving the server's clock `step` at a time (up to 200 steps)."""
    for _ in range(200):
        if check():
            return True
        await env.sleep(step)
        await asyncio.sleep(0.05)  # activities run in real time between the skips
    return check()


def patches(history: WorkflowHistory) -> list[str]:
    """The patch IDs the history's markers record (`workflow.patched`)."""
    markers = [
        e.marker_recorded_event_attributes
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
    ]
    return [
        json.loads(payload.data)["id"]
        for m in markers
        if m.marker_name == "core_patch"
        for payload in m.details["patch-data"].payloads
    ]


def headers_of(slack: HttpReceiver) -> list[str]:
    return [json.loads(r.body)["blocks"][0]["text"]["text"] for r in slack.received]


def sla_events(engine: Engine, handoff_id: str) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        return [(r.event, r.detail or "") for r in handoffs.events(session, handoff_id)]


async def activity_types(handle: WorkflowHandle[Any, Any]) -> list[str]:
    history = await handle.fetch_history()
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


async def test_every_step_of_the_ladder_reaches_the_channel(
    ts_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    smtp: MailSink,
    slack: HttpReceiver,
) -> None:
    settings = chatty(settings, slack)
    async with running_worker(ts_env.client, settings, engine):
        handoff_id = await handed_off(ts_env, settings, engine)
        assert await until(lambda: len(slack.received) == 1, ts_env, MINUTE)
        handle = ts_env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff_id)
        deadline = (await handle.query(SalesHandoffWorkflow.state)).deadline
        assert deadline is not None
        await ts_env.sleep(
            SLA.calendar.add(deadline, SLA.ladder.reassign_after)
            + MINUTE
            - await ts_env.get_current_time()
        )
        assert await until(lambda: len(slack.received) == 4, ts_env, MINUTE)
        state = await handle.query(SalesHandoffWorkflow.state)
        history = await handle.fetch_history()

    assert state.reassignments == 1
    # handoff-records-lead-stage takes handoff-chat (and the older patches) with one marker
    assert patches(history) == ["handoff-records-lead-stage"]
    assert (await activity_types(handle)).count("post_chat") == 4
    assert headers_of(slack) == [
        "New lead for Rep One",
        "Reminder for Rep One: the deadline has passed",
        "Escalated: Rep One has not acknowledged in time",
        "Lead reassigned to Rep Two",
    ]
    due = rep_words.local_time(deadline, SLA.calendar.zone, "en")
    first, reminder = (json.loads(r.body)["text"] for r in slack.received[:2])
    assert first.endswith(f"acknowledge by {due}") and "Yamada Hanako (Acme KK)" in first
    assert reminder.endswith(f"was due {due}")
    assert not [e for e, _ in sla_events(engine, handoff_id) if e == "chat_failed"]


@pytest.mark.parametrize(
    ("status", "posts", "why"),
    [
        (
            HTTPStatus.INTERNAL_SERVER_ERROR,
            policies.CHAT_RETRY.maximum_attempts,
            "Slack answered 500",
        ),
        (HTTPStatus.NOT_FOUND, 1, "Slack refused the message: 404 Not Found (no_service)"),
    ],
)
async def test_a_failing_slack_is_given_up_and_the_handoff_works_on(
    ts_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    smtp: MailSink,
    status: int,
    posts: int,
    why: str,
) -> None:
    with HttpReceiver(otherwise=status, answer=b"no_service") as slack:
        settings = chatty(settings, slack)
        async with (
            running_worker(ts_env.client, settings, engine),
            serve_api(ts_env.client, settings) as api,
            httpx.AsyncClient(base_url=api.base_url, timeout=30) as http,
        ):
            handoff_id = await handed_off(ts_env, settings, engine)
            failed = lambda: any(e == "chat_failed" for e, _ in sla_events(engine, handoff_id))  # noqa: E731
            assert await until(failed, ts_env, timedelta(seconds=20))
            await ts_env.sleep(timedelta(minutes=30))  # a retry would have come by now
            # The rep's mail went as ever, and the rep's ack works.
            mails = await smtp.received(2, timeout=30)
            assert "rep.one@sales.example.com" in [m.to for m in mails]
            r = await http.post(f"/v1/handoffs/{handoff_id}/ack", headers=REP_ONE)
            assert r.status_code == 200, r.text
            r = await http.get(f"/v1/handoffs/{handoff_id}", headers=REP_ONE)
            assert r.json()["status"] == "accepted"

    assert len(slack.received) == posts
    [detail] = [d for e, d in sla_events(engine, handoff_id) if e == "chat_failed"]
    assert detail.startswith("assigned: ") and why in detail, detail
    assert slack.url not in detail
    with session_scope(engine) as session:  # the lead's timeline says so, once
        row = handoffs.get(session, handoff_id)
        assert row is not None
        said = [e.text for e in leads.timeline(session, row.lead_id, {}) if "chat_failed" in e.text]
    assert len(said) == 1 and why in said[0], said


async def test_without_a_slack_url_no_chat_activity_is_scheduled(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    assert settings.slack_webhook_url is None
    async with running_worker(ts_env.client, settings, engine):
        handoff_id = await handed_off(ts_env, settings, engine)
        handle = ts_env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff_id)
        reminded = lambda: "reminder" in [e for e, _ in sla_events(engine, handoff_id)]  # noqa: E731
        assert await until(reminded, ts_env, timedelta(hours=1))  # a reminder went too
        mails = await smtp.received(3, timeout=30)
        types = await activity_types(handle)
        history = await handle.fetch_history()

    assert [m.to for m in mails].count("rep.one@sales.example.com") == 2  # handoff, reminder
    assert types.count("notify_rep") == 2 and "post_chat" not in types
    assert "handoff-chat" not in patches(history)  # not even the patch's marker


async def test_a_post_still_retrying_when_the_rep_acts_stops_quietly(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    """The handoff is over: news of it no longer applies, and giving up is not a failure."""
    with HttpReceiver(otherwise=HTTPStatus.SERVICE_UNAVAILABLE) as slack:
        settings = chatty(settings, slack)
        async with running_worker(ts_env.client, settings, engine):
            handoff_id = await handed_off(ts_env, settings, engine)
            assert await until(lambda: len(slack.received) >= 1, ts_env, timedelta(seconds=1))
            handle = ts_env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff_id)
            rep_one = (await handle.query(SalesHandoffWorkflow.state)).rep_id
            await handle.execute_update(SalesHandoffWorkflow.ack, SalesAction(rep_id=rep_one))
            await handle.execute_update(
                SalesHandoffWorkflow.won, SalesAction(rep_id=rep_one, amount=1000)
            )
            result = await handle.result()
            posted = len(slack.received)
            await ts_env.sleep(timedelta(hours=1))

    assert result.status == HandoffStatus.WON
    assert posted < policies.CHAT_RETRY.maximum_attempts and len(slack.received) == posted
    events = [e for e, _ in sla_events(engine, handoff_id)]
    assert events == ["assigned", "ack", "won"], events
