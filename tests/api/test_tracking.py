"""Tracked links, the open pixel and one-click unsubscribe, through real HTTP."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from nurture.db import session_scope
from nurture.mailsink import MailSink, ReceivedMail
from nurture.repo import leads as lead_repo
from nurture.settings import Settings
from nurture.tables import EmailMessage, TrackingHit
from tests.utils.api import lead_when
from tests.utils.factories import link_targets, sent_mails, touches_of
from tests.utils.stack import SITE_URL, ApiServer, running_worker, serve_api

BROWSER = {"User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15"}
SCANNER = {"User-Agent": "Mozilla/5.0 (compatible; Barracuda Sentinel link scanner)"}
LEAD = {
    "email": "reader@customer.example.com",
    "name": "Mori Ken",
    "company": "Mori KK",
    "job_title": "Engineer",
    "industry": "Retail",
    "scenario": "whitepaper",
}


def _tracked(mail: ReceivedMail, kind: str) -> list[str]:
    """Tracked links as paths on the API (the mail has them on NURTURE_PUBLIC_URL)."""
    found = re.findall(rf"http://nurture\.test(/t/{kind}/[A-Za-z0-9_\-.]+)", mail.html())
    return list(found)


async def _delivered_a_minute_ago(engine: Engine) -> None:
    """Gateways fetch within seconds of delivery; a reader comes later."""
    for _ in range(250):  # the sender records the delivery just after the sink has the mail
        with session_scope(engine) as session:
            rows = session.exec(select(EmailMessage)).all()
            if rows and all(r.status == "sent" for r in rows):
                for row in rows:
                    row.sent_at = datetime.now(UTC) - timedelta(minutes=1)
                    session.add(row)
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the mail was never recorded as sent")


async def _first_mail(http: httpx.AsyncClient, api: ApiServer, smtp: MailSink) -> tuple[str, Any]:
    r = await http.post("/v1/leads", json=LEAD, headers=api.admin)
    mails = await smtp.received(1)
    return r.json()["id"], mails[0]


async def test_clicks_and_opens_score_for_people_only(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink, engine: Engine, settings: Settings
) -> None:
    lead_id, mail = await _first_mail(http, stack, smtp)
    await _delivered_a_minute_ago(engine)
    links = _tracked(mail, "c")
    real = link_targets(mail.html(), settings)
    # On the company's site, tagged (the lead has no campaign: the scenario names it).
    assert real == [
        f"{SITE_URL}/resources/whitepaper?utm_source=nurture&utm_medium=email"
        "&utm_campaign=whitepaper&utm_content=whitepaper%2Fthanks"
    ]
    assert f"{SITE_URL}/resources/whitepaper" not in mail.html()  # only behind /t/c/
    human_link = next(link for link in links if link_targets(link, settings) == real)

    r = await http.get(human_link, headers=BROWSER)
    assert r.status_code == 302 and r.headers["location"] == real[0]
    state = await lead_when(http, stack, lead_id, lambda s: s["score"] == 3)
    assert state["score"] == 3 and state["score_breakdown"][0]["rule"] == "email_click"

    again = await http.get(human_link, headers=BROWSER)  # the same link twice counts once
    assert again.status_code == 302

    tampered = human_link[:-2] + ("AA" if not human_link.endswith("AA") else "BB")
    assert (await http.get(tampered, headers=BROWSER)).status_code == 404
    swapped = human_link.replace("/t/c/", "/t/o/")  # a click token is no open token
    assert (await http.get(swapped, headers=BROWSER)).status_code == 404

    r = await http.get(human_link, headers=SCANNER)
    assert r.status_code == 302  # scanners are redirected too, but never score
    honeypot = next(link for link in links if not link_targets(link, settings))
    await http.get(honeypot, headers=BROWSER)

    pixel = _tracked(mail, "o")[0]
    r = await http.get(pixel, headers=BROWSER)
    assert r.status_code == 200 and r.headers["content-type"] == "image/gif"

    await asyncio.sleep(1.0)
    state = await lead_when(
        http,
        stack,
        lead_id,
        lambda s: any(e["kind"] == "event" and "email_open" in e["text"] for e in s["timeline"]),
    )
    assert state["score"] == 3  # one human click; the scanner and honeypot hits added nothing
    with session_scope(engine) as session:
        hits = session.exec(select(TrackingHit).order_by(TrackingHit.id)).all()  # type: ignore[arg-type]
    assert [(h.kind, h.machine, h.reason) for h in hits] == [
        ("click", False, None),
        ("click", False, None),
        ("click", True, "scanner user agent"),
        ("click", True, "hidden honeypot link followed"),
        ("open", False, None),
    ]
    report = (await http.get("/v1/kpi/email", headers=stack.admin)).json()
    assert report == [
        {
            "scenario": "whitepaper",
            "step": "thanks",
            "label": "whitepaper / thanks",
            "sent": 1,
            "delivered": 1,
            "bounced": 0,
            "unique_opens": 1,
            "unique_clicks": 1,
            "unsubscribes": 0,
            "open_rate": 1.0,
            "click_rate": 1.0,
            "unsubscribe_rate": 0.0,
            "bounce_rate": 0.0,
            "uncertain": 0,
            "held": 0,
            "failed": 0,
        }
    ]


async def test_the_day_one_mail_names_and_links_the_campaigns_paper(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink, engine: Engine, settings: Settings
) -> None:
    """The paper the lead downloaded, from its campaign; the click lands on it, tagged, and
    the click's event names the campaign (so it is a touch of that campaign)."""
    paper = {"title": "The DX Guide 2026", "url": f"{SITE_URL}/resources/dx-guide?lang=en"}
    campaign = {"name": "DX guide", "channel": "whitepaper", "cost": "450000", "asset": paper}
    r = await http.put("/v1/campaigns/wp-dx-guide", json=campaign, headers=stack.admin)
    assert r.status_code == 201
    r = await http.post("/v1/leads", json={**LEAD, "source": "wp-dx-guide"}, headers=stack.admin)
    lead_id = r.json()["id"]
    mail = (await smtp.received(1))[0]
    assert mail.subject == "Thank you for downloading The DX Guide 2026"
    assert 'thank you for downloading "The DX Guide 2026"' in mail.text()
    await _delivered_a_minute_ago(engine)

    tagged = (
        f"{SITE_URL}/resources/dx-guide?lang=en&utm_source=nurture&utm_medium=email"
        "&utm_campaign=wp-dx-guide&utm_content=whitepaper%2Fthanks"
    )
    assert link_targets(mail.html(), settings) == link_targets(mail.text(), settings) == [tagged]
    link = next(link for link in _tracked(mail, "c") if link_targets(link, settings))
    r = await http.get(link, headers=BROWSER)
    assert r.status_code == 302 and r.headers["location"] == tagged
    await lead_when(http, stack, lead_id, lambda s: s["score"] == 3)
    with session_scope(engine) as session:
        clicks = lead_repo.recent_events(session, uuid.UUID(lead_id), "email_click")
    touched = touches_of(engine, uuid.UUID(lead_id))
    assert [e.properties["url"] for e in clicks] == [tagged]
    # The click is a touch of the lead's campaign, read from its utm_campaign.
    assert touched == [("wp-dx-guide", "intake"), ("wp-dx-guide", "email_click")]


async def test_a_click_right_after_delivery_is_a_gateway(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink, engine: Engine, settings: Settings
) -> None:
    lead_id, mail = await _first_mail(http, stack, smtp)
    link = next(link for link in _tracked(mail, "c") if link_targets(link, settings))
    assert (await http.get(link, headers=BROWSER)).status_code == 302
    await asyncio.sleep(1.0)
    state = (await http.get(f"/v1/leads/{lead_id}", headers=stack.admin)).json()
    assert state["score"] == 0
    with session_scope(engine) as session:
        hit = session.exec(select(TrackingHit)).one()
    assert hit.machine and hit.reason is not None and "after delivery" in hit.reason


async def test_one_click_unsubscribe_stops_the_next_step(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    async with (
        running_worker(ts_env.client, settings, engine),
        serve_api(ts_env.client, settings) as api,
        httpx.AsyncClient(base_url=api.base_url, timeout=30) as http,
    ):
        lead_id, mail = await _first_mail(http, api, smtp)
        header = mail.message["List-Unsubscribe"]
        assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # As received, on the wire: `<URL>`, not RFC 2047 encoded-words, which mail
        # providers do not read as a one-click unsubscribe.
        raw = dict(mail.message.raw_items())["List-Unsubscribe"]
        assert raw == header and raw.startswith("<http://nurture.test/u/") and "=?" not in raw
        url = header.strip("<>").removeprefix("http://nurture.test")
        page = await http.get(url)
        assert page.status_code == 200 and '<form method="post"' in page.text
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        r = await http.post(url, content=b"List-Unsubscribe=One-Click", headers=form)
        assert r.status_code == 200 and "unsubscribed" in r.text
        await ts_env.sleep(timedelta(days=10))
        state = (await http.get(f"/v1/leads/{lead_id}", headers=api.admin)).json()

    assert state["stage"] == "unsubscribed"
    assert [m.step for m in sent_mails(engine, uuid.UUID(lead_id))] == ["thanks"]  # no day 3, 7
    assert [m.to for m in smtp.messages] == [LEAD["email"]]
    async with (
        serve_api(ts_env.client, settings) as api,
        httpx.AsyncClient(base_url=api.base_url) as http,
    ):
        assert (await http.post(url[:-3] + "xyz")).status_code == 404  # tampered
