"""The /sales workspace in a real headless Chromium against the real stack: sign-in by an
emailed one-time link, my queue by deadline, acting from the lead page, another rep's lead
refused, history, phone width."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from playwright.async_api import Page
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from nurture import workspace_tokens as wt
from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.repo import rep_sessions
from nurture.tables import Handoff, Lead, Rep, SlaEvent
from tests.utils.api import REP_ONE, lead_when
from tests.utils.browser import ARTIFACTS, phone_in_chromium
from tests.utils.handoffs import handed_off
from tests.utils.stack import ApiServer
from tests.utils.workspace import ask_for_link, sign_in, sign_in_link

ONE = "rep.one@sales.example.com"
TWO = "rep.two@sales.example.com"
SENT = "If {email} belongs to a sales rep or manager, a sign-in link is on its way"


async def _snap(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name), full_page=True)


async def _no_sideways_scroll(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at phone width"


def _rep(engine: Engine, email: str) -> Rep:
    with session_scope(engine) as session:
        rep = session.exec(select(Rep).where(Rep.email == email)).one()
        return rep


async def test_sign_in_by_emailed_link_once_then_sign_out(
    stack: ApiServer, smtp: MailSink, engine: Engine
) -> None:
    async with phone_in_chromium() as page:
        # A stranger's address gets the same words, and no mail.
        stranger = "someone@elsewhere.example.com"
        assert SENT.format(email=stranger) in await ask_for_link(page, stack, stranger)
        assert SENT.format(email=ONE) in await ask_for_link(page, stack, ONE)
        link = await sign_in_link(smtp, stack, ONE)
        assert "rep.one" not in link and ONE not in link
        assert not [m for m in smtp.messages if m.to == stranger]
        # Opening the link (as a mail scanner would) signs nobody in.
        response = await page.goto(link)
        assert response is not None and response.status == 200
        await page.goto(f"{stack.base_url}/sales")
        assert await page.locator("#email").count() == 1
        await page.goto(link)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{stack.base_url}/sales")
        assert "My queue" in await page.inner_text("main")
        [cookie] = [c for c in await page.context.cookies() if c["name"] == "nurture_sales"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        # The link works once.
        response = await page.goto(link)
        assert response is not None and response.status == 410
        assert "already used" in await page.inner_text("#outcome")
        await page.goto(f"{stack.base_url}/sales")
        await page.click("#sign-out")
        assert "You are signed out" in await page.inner_text("#outcome")
        await page.goto(f"{stack.base_url}/sales")
        assert await page.locator("#email").count() == 1
    # The old cookie is worth nothing once signed out: the session ended on the server.
    cookies = {"nurture_sales": cookie["value"]}
    async with httpx.AsyncClient(base_url=stack.base_url, cookies=cookies) as old:
        r = await old.get("/sales/history")
        assert r.status_code == 401 and "Please sign in" in r.text


async def test_an_expired_or_tampered_sign_in_link_is_refused_with_a_page(
    stack: ApiServer, smtp: MailSink, engine: Engine
) -> None:
    secret = stack.settings.secret_key.get_secret_value()
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    value = wt.new_value()
    with session_scope(engine) as session:
        rep_sessions.add_link(session, ONE, value, long_ago, minutes=15)
    expired = wt.make_sign_in(secret, value, long_ago + timedelta(minutes=15))
    fresh = wt.make_sign_in(secret, value, datetime.now(UTC) + timedelta(minutes=15))
    async with phone_in_chromium() as page:
        for token, status, words in [
            (expired, 410, "This sign-in link has expired"),
            (fresh, 410, "This sign-in link has expired"),  # the server's row decides
            (expired[:-3], 404, "This sign-in link is not valid"),
        ]:
            response = await page.goto(f"{stack.base_url}/sales/sign-in/{token}")
            assert response is not None and response.status == status, token
            assert words in await page.inner_text("#outcome")
            assert "Traceback" not in await page.content()
        # Posting it anyway (no page, no cookie) signs nobody in either.
        async with httpx.AsyncClient(base_url=stack.base_url) as http:
            r = await http.post(f"/sales/sign-in/{fresh}", data={"confirm": "x"})
            assert r.status_code == 403 and "nurture_sales" not in r.headers.get("set-cookie", "")


def _lead_and_handoff(
    engine: Engine,
    rep: Rep,
    n: int,
    status: str,
    deadline: datetime | None,
    amount: Decimal | None = None,
    closed_at: datetime | None = None,
) -> str:
    with session_scope(engine) as session:
        lead = Lead(
            email=f"queue-{n}@customer.example.com",
            name=f"Lead {n}",
            company=f"Company {n}",
            score=60 + n,
            score_breakdown={"decision_maker": 20, "pricing_page_view": 15},
            stage="sales_pending",
        )
        session.add(lead)
        session.flush()
        handoff = Handoff(
            id=f"handoff-{uuid.uuid4()}-1",
            lead_id=lead.id,
            rep_id=rep.id,
            status=status,
            priority="normal",
            score=60 + n,
            created_at=datetime.now(UTC) - timedelta(days=40 - n),
            deadline_at=deadline,
            amount=amount,
            closed_at=closed_at,
        )
        session.add(handoff)
        return handoff.id


async def test_my_queue_is_sorted_by_deadline_and_marks_the_overdue(
    stack: ApiServer, smtp: MailSink, engine: Engine
) -> None:
    one = _rep(engine, ONE)
    now = datetime.now(UTC)
    later = _lead_and_handoff(engine, one, 1, "pending", now + timedelta(days=20))
    accepted = _lead_and_handoff(engine, one, 2, "accepted", now - timedelta(days=1))
    overdue = _lead_and_handoff(engine, one, 3, "pending", now - timedelta(days=30))
    won = _lead_and_handoff(engine, one, 4, "won", None, amount=Decimal("1200000"), closed_at=now)
    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, ONE)
        cards = page.locator("#queue article")
        order = [
            await cards.nth(i).get_attribute("data-handoff") for i in range(await cards.count())
        ]
        assert order == [overdue, later, accepted]  # no running deadline last; won is history
        first = await cards.nth(0).inner_text()
        assert "Overdue by" in first and "Overdue by 0 min" not in first, first
        assert "overdue" in (await cards.nth(0).get_attribute("class") or "")
        second = await cards.nth(1).inner_text()
        assert "left (business time)" in second and "Overdue" not in second
        assert "Why this lead: decision maker, viewed pricing" in second
        assert "Fit B · Engagement 15" in second  # a row from before the axes: derived
        assert "Acknowledged" in await cards.nth(2).inner_text()
        await _no_sideways_scroll(page)
        await _snap(page, "sales-queue.png")
        # The page keeps itself current: a minute later it shows what changed meanwhile.
        await page.clock.install()
        await page.reload()
        with session_scope(engine) as session:
            row = session.get(Handoff, later)
            assert row is not None
            row.deadline_at = now - timedelta(days=60)
            session.add(row)
        async with page.expect_navigation():
            await page.clock.run_for(61_000)
        assert await cards.nth(0).get_attribute("data-handoff") == later
        assert "Overdue by" in await cards.nth(0).inner_text()
        await page.click("text=History")
        history = await page.inner_text("#history")
        assert "Lead 4" in history and "won: 1,200,000" in history and "Lead 1" not in history
        shown = page.locator("#history article")
        assert await shown.count() == 1
        assert await shown.first.get_attribute("data-handoff") == won


async def test_acknowledge_from_the_lead_page_and_another_rep_is_refused(
    stack: ApiServer,
    http: httpx.AsyncClient,
    smtp: MailSink,
    engine: Engine,
    dev_env: WorkflowEnvironment,
) -> None:
    handoff, lead_id = await handed_off(http, stack)
    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, ONE)
        await page.click(f"article[data-handoff='{handoff}'] h2 a")
        await page.wait_for_url(f"**/sales/handoffs/{handoff}")
        lead = await page.inner_text("#lead")
        assert (
            "Kato Mei" in lead
            and "Kato Seiki" in lead
            and "waiting for your acknowledgement" in lead
        )
        assert "left (business time)" in lead or "Overdue by" in lead
        assert "60 · Fit A · Engagement 15" in lead, lead  # the score and its two axes
        # The rep can reach the lead from the page: the address as a mail link.
        mailto = await page.get_attribute("#lead-email", "href")
        assert mailto == "mailto:kato@customer.example.com"
        assert "Pricing page view" in await page.inner_text("#breakdown")
        timeline = await page.inner_text("#timeline")
        assert "assigned to Rep One" in timeline and "→" not in timeline
        assert "round-robin" not in timeline and "sales_pending" not in timeline
        assert "JST" in timeline  # Rep One's zone is the SLA calendar's
        await _no_sideways_scroll(page)
        await _snap(page, "sales-lead-page.png")
        await page.click("#form-ack button")
        await page.wait_for_url(f"**/sales/handoffs/{handoff}?done=ack")
        assert "Acknowledged" in await page.inner_text("#outcome")
        assert "acknowledged" in await page.inner_text("#status")
        r = await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)
        after = r.json()
        assert after["status"] == "accepted" and after["acknowledged_at"]
        assert after["time_left_seconds"] is None  # the SLA clock stopped
        # What is possible now: opportunity, won, lost, reject; no second acknowledgement.
        assert await page.locator("#form-ack").count() == 0
        assert await page.locator("#form-opportunity").count() == 1
        # An opportunity's amount as a Japanese rep might type it.
        await page.click("#details-opportunity summary")
        await page.fill("#opportunity-amount", "１２０万円")
        await page.click("#form-opportunity button[type=submit]")
        await page.wait_for_url(f"**/sales/handoffs/{handoff}?done=opportunity")
        r = await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)
        assert r.json()["status"] == "opportunity" and float(r.json()["amount"]) == 1_200_000
    lead_state = await lead_when(http, stack, lead_id, lambda s: s["stage"] == "opportunity")
    assert lead_state["stage"] == "opportunity"
    history = await dev_env.client.get_workflow_handle(handoff).fetch_history()
    ids = [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert [i for i in ids if ":ack:" in i and ":workspace:" in i], ids
    # Rep Two signs in and reaches for Rep One's lead: a page that says no, nothing changes.
    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, TWO)
        assert handoff not in await page.content()
        response = await page.goto(f"{stack.base_url}/sales/handoffs/{handoff}")
        assert response is not None and response.status == 403
        assert "Not yours" in await page.inner_text("#outcome")
        assert "Traceback" not in await page.content()
        response = await page.goto(f"{stack.base_url}/sales/handoffs/handoff-nothing-1")
        assert response is not None and response.status == 404


async def test_reject_with_a_reason_and_a_refusal_is_a_readable_page(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink
) -> None:
    handoff, _ = await handed_off(http, stack)
    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, ONE)
        await page.goto(f"{stack.base_url}/sales/handoffs/{handoff}")
        await page.click("#details-reject summary")
        await page.select_option("#reject-reason", "no_budget")
        await page.fill("#reject-note", "budget frozen until April")
        # The API's own 409, as a page: the handoff is closed by then (acted from elsewhere).
        r = await http.post(
            f"/v1/handoffs/{handoff}/reject", headers=REP_ONE, json={"reason": "not_a_fit"}
        )
        assert r.status_code == 200, r.text
        await page.click("#form-reject button")
        outcome = await page.inner_text("#outcome")
        assert "Not possible now" in outcome and "Nothing was changed" in outcome, outcome
        assert "Traceback" not in await page.content()
        after = (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).json()
        assert after["status"] == "rejected" and after["outcome_reason"] == "not_a_fit"
        await page.click("text=History")
        assert "rejected (not a fit)" in await page.inner_text("#history")


async def test_a_form_without_the_session_csrf_value_changes_nothing(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink
) -> None:
    handoff, _ = await handed_off(http, stack)
    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, ONE)
        [cookie] = [c for c in await page.context.cookies() if c["name"] == "nurture_sales"]
    jar = {"nurture_sales": cookie["value"]}
    async with httpx.AsyncClient(base_url=stack.base_url, cookies=jar) as browser:
        for csrf in ("", "0" * 32):
            r = await browser.post(f"/sales/handoffs/{handoff}/ack", data={"csrf": csrf})
            assert r.status_code == 403 and "This form has expired" in r.text
    assert (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).json()["status"] == (
        "pending"
    )


async def test_a_rep_reading_japanese_gets_the_workspace_in_japanese(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink, engine: Engine
) -> None:
    with session_scope(engine) as session:
        rep = session.exec(select(Rep).where(Rep.email == ONE)).one()
        rep.language, rep.timezone = "ja", "Europe/Berlin"
        session.add(rep)
    handoff, _ = await handed_off(http, stack)
    async with phone_in_chromium() as page:
        await ask_for_link(page, stack, ONE)
        link = await sign_in_link(smtp, stack, ONE)
        [mail] = [m for m in smtp.messages if m.to == ONE and "/sales/sign-in/" in m.text()]
        assert mail.subject == "nurture 営業へのサインインリンク"
        await page.goto(link)
        assert "ボタンを押すと" in await page.inner_text("#outcome")
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{stack.base_url}/sales")
        assert await page.get_attribute("html", "lang") == "ja"
        queue = await page.inner_text("main")
        assert "担当リスト" in queue and "決裁者" in queue and "料金ページを閲覧" in queue
        await page.goto(f"{stack.base_url}/sales/handoffs/{handoff}")
        lead = await page.inner_text("main")
        assert "受領待ち" in lead and "受領する" in lead and "タイムライン" in lead
        assert "通常" in lead and "さんに割り当て" in lead  # the words of the Japanese mail
        assert "CET" in await page.inner_text("#timeline")  # the rep's own time zone
        await _no_sideways_scroll(page)
        await _snap(page, "sales-lead-page-ja.png")


async def test_the_manager_sees_the_team_and_reassigns_a_handoff(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink, engine: Engine
) -> None:
    boss = "boss@sales.example.com"  # Rep One's manager in the test configuration
    with session_scope(engine) as session:
        two = session.exec(select(Rep).where(Rep.email == TWO)).one()
        two.manager_email = boss
        session.add(two)
    handoff, lead_id = await handed_off(http, stack)
    late = _lead_and_handoff(
        engine, _rep(engine, TWO), 5, "pending", datetime.now(UTC) - timedelta(days=30)
    )
    with session_scope(engine) as session:
        row = session.get(Handoff, late)
        assert row is not None
        session.add(
            SlaEvent(handoff_id=late, lead_id=row.lead_id, at=datetime.now(UTC), event="escalation")
        )
    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, boss)
        assert page.url.endswith("/sales/team")  # a manager who is no rep lands on the team
        team = page.locator("#team article")
        order = [await team.nth(i).get_attribute("data-handoff") for i in range(await team.count())]
        assert order == [late, handoff]
        marked = await team.nth(0).inner_text()
        assert "Overdue" in marked and "Escalated" in marked and "Rep: Rep Two" in marked
        mine = page.locator(f"#team article[data-handoff='{handoff}']")
        assert "Rep: Rep One" in await mine.inner_text()
        # The manager may read a team lead's page; acting on it is the rep's.
        await mine.locator("h2 a").click()
        await page.wait_for_url(f"**/sales/handoffs/{handoff}")
        assert "as the rep's manager" in await page.inner_text("#actions")
        assert await page.locator("#actions form").count() == 0
        await page.go_back()
        await _no_sideways_scroll(page)
        await mine.locator("summary").click()
        await _snap(page, "sales-manager-view.png")
        await mine.locator("select[name=to_rep]").select_option(label="Rep Two")
        await mine.locator("input[name=note]").fill("Rep One is at a trade show")
        await mine.locator("button[type=submit]").click()
        await page.wait_for_url("**/sales/team?done=reassign")
        assert "Reassigned" in await page.inner_text("#outcome")
    # The workflow moved it: Rep Two's token now reaches it, Rep One's no longer does.
    moved = await _when_api(http, handoff, lambda h: h["rep"] == "Rep Two")
    assert moved["rep"] == "Rep Two" and moved["status"] == "pending"
    assert (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).status_code == 403
    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, TWO)
        assert await page.locator(f"#queue article[data-handoff='{handoff}']").count() == 1
    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, ONE)
        assert await page.locator(f"#queue article[data-handoff='{handoff}']").count() == 0
        response = await page.goto(f"{stack.base_url}/sales/handoffs/{handoff}")
        assert response is not None and response.status == 403
    lead = await lead_when(http, stack, lead_id, lambda s: s["rep"] == "Rep Two")
    assert lead["rep"] == "Rep Two"


async def _when_api(
    http: httpx.AsyncClient, handoff: str, ok: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The handoff as the admin sees it once `ok` holds (or after a generous deadline)."""
    admin = {"Authorization": "Bearer dev-admin-token"}
    deadline = time.monotonic() + 30
    while True:
        data: dict[str, Any] = (await http.get(f"/v1/handoffs/{handoff}", headers=admin)).json()
        if ok(data) or time.monotonic() > deadline:
            return data
        await asyncio.sleep(0.1)
