"""Slack on the real stack: a lead handed to sales is posted to a local receiver standing in
for Slack's incoming webhook, in Block Kit, and its Acknowledge button works in headless
Chromium; a Slack that answers 500 gets the same message again, once it takes it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from nurture import rep_links
from nurture.db import session_scope
from nurture.repo import handoffs, reps
from nurture.settings import Settings
from scenarios.sla import SLA
from tests.utils.api import REP_ONE
from tests.utils.browser import ARTIFACTS, phone_in_chromium
from tests.utils.handoffs import PUBLIC, handed_off
from tests.utils.http_receiver import HttpReceiver
from tests.utils.stack import ApiServer


@pytest.fixture
def slack() -> Iterator[HttpReceiver]:
    with HttpReceiver(otherwise=HTTPStatus.OK, answer=b"ok") as receiver:
        yield receiver


@pytest.fixture
def settings(settings: Settings, slack: HttpReceiver) -> Settings:
    """The test settings with NURTURE_SLACK_WEBHOOK_URL pointing at the receiver."""
    url = SecretStr(slack.url)
    return Settings.model_validate({**settings.model_dump(), "slack_webhook_url": url})


async def posts(slack: HttpReceiver, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The bodies of the first `count` posts the receiver took (2xx), once they are in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        taken = [r for r in slack.received if 200 <= r.status < 300]
        if len(taken) >= count:
            return [json.loads(r.body) for r in taken]
        await asyncio.sleep(0.05)
    raise AssertionError(f"Slack got {[r.status for r in slack.received]}, not {count} posts")


def texts(body: dict[str, Any]) -> str:
    return json.dumps(body["blocks"], ensure_ascii=False)


def buttons(body: dict[str, Any]) -> dict[str, str]:
    [actions] = [b for b in body["blocks"] if b["type"] == "actions"]
    return {e["text"]["text"]: e["url"] for e in actions["elements"] if e["type"] == "button"}


def rep_one_id(engine: Engine) -> str:
    with session_scope(engine) as session:
        return str(reps.find_rep(session, "rep.one@sales.example.com").id)


async def test_the_channel_gets_the_lead_and_its_acknowledge_button_works(
    stack: ApiServer, http: httpx.AsyncClient, slack: HttpReceiver, engine: Engine
) -> None:
    handoff, lead_id = await handed_off(http, stack)
    [body] = await posts(slack, 1)
    assert slack.received[0].headers["Content-Type"] == "application/json"
    before = (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).json()
    due = datetime.fromisoformat(before["deadline_at"]).astimezone(SLA.calendar.zone)

    assert body["blocks"][0]["text"]["text"] == "New lead for Rep One"
    words = texts(body)
    assert "*Kato Mei* (Kato Seiki) is ready for sales: score *60*" in words
    assert f"acknowledge by {due.strftime('%a %Y-%m-%d %H:%M')} JST" in words
    assert "Job title: decision maker +20" in words and "Pricing page view +15" in words
    assert "round-robin" not in words and "→" not in words
    assert lead_id not in json.dumps(body)  # only opaque signed tokens in the URLs

    found = buttons(body)
    assert list(found) == ["Acknowledge", "Reject…", "Open lead"]
    secret = stack.settings.secret_key.get_secret_value()
    for url in found.values():
        assert url.startswith(f"{PUBLIC}/r/")
        claim = rep_links.read_link(secret, url.rsplit("/r/", 1)[1], datetime.now(UTC))
        assert (claim.handoff_id, claim.rep_id) == (handoff, rep_one_id(engine))

    async with phone_in_chromium() as page:
        response = await page.goto(found["Acknowledge"].replace(PUBLIC, stack.base_url))
        assert response is not None and response.status == 200
        assert "Kato Mei" in await page.inner_text("#lead")
        await page.click("button[type=submit]")
        assert "Acknowledged at" in await page.inner_text("#outcome")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "rep-ack-from-slack.png"), full_page=True)
    after = (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).json()
    assert after["status"] == "accepted" and after["acknowledged_at"]
    assert len(slack.received) == 1  # one message for one assignment


async def test_slack_answering_500_twice_gets_the_message_on_the_third_try(
    stack: ApiServer, http: httpx.AsyncClient, slack: HttpReceiver, engine: Engine
) -> None:
    slack.statuses[:] = [HTTPStatus.INTERNAL_SERVER_ERROR] * 2
    handoff, _ = await handed_off(http, stack)
    [body] = await posts(slack, 1)  # after 3 s and 6 s of backoff

    assert [r.status for r in slack.received] == [500, 500, 200]
    assert len({r.body for r in slack.received}) == 1  # the same message each time
    assert body["blocks"][0]["text"]["text"] == "New lead for Rep One"
    with session_scope(engine) as session:
        events = [e.event for e in handoffs.events(session, handoff)]
    assert "chat_failed" not in events and events[0] == "assigned"
