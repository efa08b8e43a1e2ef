"""The /sales workspace's promises about who gets in and where to, on the real database,
SMTP sink and stack (headless Chromium where a person would click): the way back after
signing in is only ever a /sales page; asking for links again and again mails one a
minute; expired rows are cleared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from api.database import Database
from api.deps import AppState
from api.services import workspace_auth as auth
from api.services.workspace_auth import safe_next
from nurture import workspace_tokens as wt
from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.repo import rep_sessions
from nurture.settings import Settings
from nurture.tables import RepSession, SignInLink
from tests.utils.browser import phone_in_chromium
from tests.utils.stack import ApiServer
from tests.utils.workspace import sign_in_link

ONE = "rep.one@sales.example.com"
TWO = "rep.two@sales.example.com"


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/sales/handoffs/handoff-3f2a-1", "/sales/handoffs/handoff-3f2a-1"),
        ("/sales/team", "/sales/team"),
        ("/sales", None),  # where a sign-in lands anyway
        ("https://evil.example/sales", None),
        ("//evil.example/sales", None),
        ("/sales//evil.example", None),
        ("/sales/../admin", None),
        ("/sales/./team", None),
        ("/salesforce", None),
        ("/sales/team?x=1", None),
        ("/sales/team#x", None),
        ("/sales\\evil", None),
        ("/sales/sign-in/abc", None),
        ("/sales/sign-out", None),
        ("/sales/" + "a" * 400, None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_plain_sales_page_is_a_way_back(path: str | None, kept: str | None) -> None:
    assert safe_next(path) == kept


async def _sign_in_with_next(stack: ApiServer, smtp: MailSink, email: str, next_: str) -> str:
    """Ask for a link from the sign-in page with a crafted `next`; the URL after signing in."""
    async with phone_in_chromium() as page:
        await page.goto(f"{stack.base_url}/sales")
        await page.evaluate(
            """(next) => {
                const form = document.querySelector("form[action='/sales/sign-in']");
                form.querySelectorAll("input[name=next]").forEach((i) => i.remove());
                const input = document.createElement("input");
                input.type = "hidden"; input.name = "next"; input.value = next;
                form.appendChild(input);
            }""",
            next_,
        )
        await page.fill("#email", email)
        await page.click("button[type=submit]")
        link = await sign_in_link(smtp, stack, email)
        await page.goto(link)
        await page.click("button[type=submit]")
        await page.wait_for_url(lambda url: "/sales/sign-in/" not in url)
        return page.url


async def test_a_crafted_way_back_to_another_site_lands_on_the_queue(
    stack: ApiServer, smtp: MailSink
) -> None:
    landed = await _sign_in_with_next(stack, smtp, ONE, "https://evil.example/steal")
    assert landed == f"{stack.base_url}/sales"
    landed = await _sign_in_with_next(stack, smtp, TWO, "/sales/history")
    assert landed == f"{stack.base_url}/sales/history"


def _links_mailed(smtp: MailSink, to: str) -> int:
    return len([m for m in smtp.messages if m.to == to and "/sales/sign-in/" in m.text()])


async def test_asking_twice_within_a_minute_mails_one_link_and_expired_rows_go(
    settings: Settings, engine: Engine, smtp: MailSink, dev_env: WorkflowEnvironment
) -> None:
    state = AppState(settings=settings, db=Database(engine), client=dev_env.client)
    now = datetime.now(UTC)
    # What an earlier day left behind: a link and a session past their expiry.
    old = now - timedelta(days=2)
    with session_scope(engine) as session:
        rep_sessions.add_link(session, ONE, wt.new_value(), old, minutes=15)
        rep_sessions.start(session, ONE, wt.new_value(), old, hours=12)

    await auth.ask_for_link(state, ONE, now)
    await auth.ask_for_link(state, ONE, now + timedelta(seconds=30))
    await auth.ask_for_link(state, ONE.upper(), now + timedelta(seconds=59))
    assert _links_mailed(smtp, ONE) == 1  # the relay has taken each mail by the time it returns
    with session_scope(engine) as session:
        links = session.exec(select(SignInLink)).all()
        assert [(link.email, link.created_at) for link in links] == [(ONE, now)]
        assert session.exec(select(RepSession)).all() == []  # the expired session went too

    # A minute on, the person may ask again (the first link is still unused but not young).
    await auth.ask_for_link(state, ONE, now + timedelta(seconds=61))
    assert _links_mailed(smtp, ONE) == 2


async def test_the_page_answers_the_same_words_when_no_new_link_goes_out(
    stack: ApiServer, smtp: MailSink
) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as browser:
        first = await browser.post("/sales/sign-in", data={"email": ONE})
        await sign_in_link(smtp, stack, ONE)  # the first link is out
        second = await browser.post("/sales/sign-in", data={"email": ONE})
    assert first.status_code == second.status_code == 200
    assert first.text == second.text and "a sign-in link is on its way" in first.text


async def test_a_mistyped_rep_page_address_is_a_page_that_leads_back(stack: ApiServer) -> None:
    async with phone_in_chromium() as page:
        response = await page.goto(f"{stack.base_url}/sales/handofs/handoff-x-1")
        assert response is not None and response.status == 404
        assert "No such page" in await page.inner_text("h1")
        await page.click("text=Open your queue")
        await page.wait_for_url("**/sales")
    # A script asking the API still gets the JSON envelope.
    async with httpx.AsyncClient(base_url=stack.base_url) as http:
        r = await http.get("/sales/handofs/handoff-x-1", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
