"""Slack on the real stack: a lead handed to sales is posted to a local receiver standing in
for Slack's incoming webhook, in Block Kit; its buttons open the lead's page in the /sales
workspace, where the rep signs in (landing back on the lead) and acknowledges in headless
Chromium, and another rep gets the 403 page; a Slack that answers 500 gets the same message
again, once it takes it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import datetime
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.repo import handoffs
from nurture.rules import rep_words
from nurture.settings import Settings
from scenarios.sla import SLA
from tests.utils.api import REP_ONE
from tests.utils.browser import ARTIFACTS, phone_in_chromium
from tests.utils.handoffs import PUBLIC, handed_off
from tests.utils.http_receiver import HttpReceiver
from tests.utils.stack import ApiServer
from tests.utils.workspace import sign_in, sign_in_link

ONE = "rep.one@sales.example.com"
TWO = "rep.two@sales.example.com"


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


async def test_the_channel_gets_the_lead_and_its_buttons_open_the_workspace_lead_page(
    stack: ApiServer, http: httpx.AsyncClient, slack: HttpReceiver, smtp: MailSink
) -> None:
    handoff, _ = await handed_off(http, stack)
    [body] = await posts(slack, 1)
    assert slack.received[0].headers["Content-Type"] == "application/json"
    before = (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).json()
    due = rep_words.local_time(
        datetime.fromisoformat(before["deadline_at"]), SLA.calendar.zone, "en"
    )

    assert body["blocks"][0]["text"]["text"] == "New lead for Rep One"
    words = texts(body)
    assert "*Kato Mei* (Kato Seiki) is ready for sales: score *60*" in words
    assert f"acknowledge by {due}" in words  # as the rep's mail says it
    assert "decision maker" in words and "viewed pricing" in words
    assert "round-robin" not in words and "→" not in words
    assert "kato@customer.example.com" not in json.dumps(body)  # no address in a URL

    # The buttons are no rep's bearer link: each opens the lead's workspace page.
    page = f"{PUBLIC}/sales/handoffs/{handoff}"
    found = buttons(body)
    assert found == {
        "Acknowledge": f"{page}#form-ack",
        "Reject…": f"{page}#details-reject",
        "Open lead": page,
    }
    ack = found["Acknowledge"].replace(PUBLIC, stack.base_url)

    # Someone else in the channel presses it, signed in as Rep Two: the 403 page.
    async with phone_in_chromium() as browser:
        await sign_in(browser, stack, smtp, TWO)
        response = await browser.goto(ack)
        assert response is not None and response.status == 403
        assert "Not yours" in await browser.inner_text("#outcome")
        assert await browser.locator("#form-ack").count() == 0

    # Rep One, signed out, presses it: the sign-in page, and the mailed link's button lands
    # them on the lead, where Acknowledge is one click.
    async with phone_in_chromium() as browser:
        response = await browser.goto(ack)
        assert response is not None and response.status == 401
        await browser.fill("#email", ONE)
        await browser.click("button[type=submit]")
        link = await sign_in_link(smtp, stack, ONE)
        assert "handoff" not in link and "%2F" not in link  # where it leads is not in the URL
        await browser.goto(link)
        await browser.click("button[type=submit]")
        await browser.wait_for_url(f"{stack.base_url}/sales/handoffs/{handoff}")
        assert "Kato Mei" in await browser.inner_text("#lead")
        await browser.click("#form-ack button")
        await browser.wait_for_url(f"**/sales/handoffs/{handoff}?done=ack")
        assert "Acknowledged" in await browser.inner_text("#outcome")
        ARTIFACTS.mkdir(exist_ok=True)
        await browser.screenshot(path=str(ARTIFACTS / "rep-ack-from-slack.png"), full_page=True)
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
