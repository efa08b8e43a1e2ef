"""The dashboard in a real headless Chromium: charts render, filters change the numbers,
and the CSV exports say what the JSON says. A screenshot is kept in test-artifacts/."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Page
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nurture.tables import Handoff, Lead, SlaEvent, StageChange
from tests.utils.api import REP_ONE, lead_when
from tests.utils.browser import ARTIFACTS, apply_campaign, assert_csv_is_json, dashboard_in_chromium
from tests.utils.stack import ApiServer

TOKYO = ZoneInfo("Asia/Tokyo")


async def _email_when(
    http: httpx.AsyncClient, api: ApiServer, step: str, delivered: int, timeout: float = 20
) -> None:
    """Wait until `delivered` mails of `step` (scenario/step) are recorded as sent."""
    deadline = time.monotonic() + timeout
    while True:
        rows = (await http.get("/v1/kpi/email", headers=api.admin)).json()
        got = sum(r["delivered"] for r in rows if f"{r['scenario']}/{r['step']}" == step)
        if got >= delivered:
            assert got == delivered, rows
            return
        assert time.monotonic() < deadline, f"{step}: {got} of {delivered} mails after {timeout} s"
        await asyncio.sleep(0.1)


async def _event(http: httpx.AsyncClient, api: ApiServer, lead_id: str, kind: str) -> None:
    body = json.dumps({"event_id": f"{kind}-{lead_id}", "lead_id": lead_id, "type": kind})
    r = await http.post("/v1/events", content=body.encode(), headers=api.signed(body.encode()))
    assert r.status_code == 202, r.text


async def _seed(http: httpx.AsyncClient, api: ApiServer) -> None:
    """Campaign wp: three whitepaper leads (a thank-you mail each), one handed off, acked in
    time and won. Campaign expo: two webinar leads; one attends (a thank-you mail), the other
    is handed off and left pending with its deadline ahead."""
    for key, channel, cost in (("wp", "whitepaper", "100000"), ("expo", "expo", "400000")):
        await http.put(
            f"/v1/campaigns/{key}",
            headers=api.admin,
            json={"name": key.upper(), "channel": channel, "cost": cost},
        )
    hot = {"job_title": "CEO", "industry": "SaaS", "company_size": 200}
    wp_ids, expo_ids = [], []
    for i in range(3):
        body = {
            **hot,
            "email": f"wp{i}@customer.example.com",
            "name": f"WP {i}",
            "source": "wp",
            "scenario": "whitepaper",
        }
        wp_ids.append((await http.post("/v1/leads", json=body, headers=api.admin)).json()["id"])
    for i, profile in enumerate(({}, hot)):
        body = {
            **profile,
            "email": f"ex{i}@customer.example.com",
            "name": f"EX {i}",
            "source": "expo",
            "scenario": "webinar",
        }
        expo_ids.append((await http.post("/v1/leads", json=body, headers=api.admin)).json()["id"])
    await _email_when(http, api, "whitepaper/thanks", 3)  # before the won lead leaves nurturing
    await _event(http, api, expo_ids[0], "webinar_attended")
    await _email_when(http, api, "webinar/thanks-recording", 1)
    won_id = wp_ids[0]
    await _event(http, api, won_id, "pricing_page_view")
    await lead_when(http, api, won_id, lambda s: s["stage"] == "sales_pending")
    handoff = f"handoff-{won_id}-1"
    await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)
    await http.post(f"/v1/handoffs/{handoff}/won", json={"amount": 900000}, headers=REP_ONE)
    await lead_when(http, api, won_id, lambda s: s["stage"] == "won")
    await _event(http, api, expo_ids[1], "pricing_page_view")
    await lead_when(http, api, expo_ids[1], lambda s: s["stage"] == "sales_pending")


async def _text(page: Page, selector: str) -> str:
    return (await page.text_content(selector) or "").strip()


async def test_dashboard_renders_filters_and_exports(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    await _seed(http, stack)
    assert (await http.get("/dashboard")).status_code == 401

    # The hand counts, in JSON first: what the page and the CSVs must show.
    sla = (await http.get("/v1/kpi/sla", headers=stack.admin)).json()
    figures = ("handoffs", "acknowledged", "within_sla", "missed_sla", "open_within_sla")
    assert [sla["overall"][k] for k in figures] == [2, 1, 1, 0, 1]
    assert sla["overall"]["within_sla_rate"] == 1.0  # the open handoff is not a failure
    assert [sla["by_rep"]["Rep One"][k] for k in figures] == [1, 1, 1, 0, 0]
    email = (await http.get("/v1/kpi/email", headers=stack.admin)).json()
    assert [(f"{m['scenario']}/{m['step']}", m["delivered"]) for m in email] == [
        ("webinar/thanks-recording", 1),
        ("whitepaper/thanks", 3),
    ]

    async with dashboard_in_chromium(stack.base_url) as page:
        assert await page.text_content("#new-leads") == "5"
        assert await page.text_content("#won") == "1"
        assert await page.locator("#funnel rect.bar").count() == 7
        widths = [
            float(await b.get_attribute("width") or 0)
            for b in await page.locator("#funnel rect.bar").all()
        ]
        assert widths[0] > 0 and widths[-1] > 0 and widths[0] >= widths[-1]
        assert await page.locator("#campaigns rect.roi").count() == 2
        assert await page.text_content("#sla-rate") == "100.0%"
        assert (await _text(page, "#sla-handoffs"), await _text(page, "#sla-open")) == ("2", "1")
        assert await page.locator("#email rect.open-rate").count() == 2
        assert await _text(page, "#email-delivered") == "4"
        assert "handoffs made in it" in await _text(page, "#scope")
        assert await page.locator("#scoring tr.rule").count() > 0
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        await apply_campaign(page, "expo")  # the webinar leads: one mail, one open handoff
        assert await page.text_content("#new-leads") == "2"
        assert await page.text_content("#won") == "0"
        assert await _text(page, "#email-delivered") == "1"
        assert await page.locator("#email tr.step").count() == 1
        assert (
            await _text(page, '#email tr[data-step="webinar/thanks-recording"] .delivered') == "1"
        )
        assert (await _text(page, "#sla-handoffs"), await _text(page, "#sla-open")) == ("1", "1")
        assert await _text(page, "#sla-rate") == "–"  # nothing decided yet
        assert await page.locator("#sla tr[data-rep='Rep One']").count() == 0
        assert "campaign expo" in await _text(page, "#scope")
        for link in await page.locator("section h2 a").all():
            assert "campaign=expo" in (await link.get_attribute("href") or "")

        await apply_campaign(page, "wp")  # the whitepaper leads: three mails, one handoff in time
        assert await _text(page, "#email-delivered") == "3"
        assert await _text(page, '#email tr[data-step="whitepaper/thanks"] .delivered') == "3"
        assert (await _text(page, "#sla-handoffs"), await _text(page, "#sla-open")) == ("1", "0")
        assert await _text(page, "#sla-rate") == "100.0%"

        await page.fill("input[name=from]", "2030-01-01")
        await page.click("#filters button")
        await page.wait_for_url("**from=2030-01-01**")
        assert await page.text_content("#new-leads") == "0"
        assert await _text(page, "#email-delivered") == "0"
        assert await _text(page, "#sla-handoffs") == "0"

    as_json = (await http.get("/v1/kpi/campaigns", headers=stack.admin)).json()
    as_csv = (await http.get("/v1/kpi/campaigns.csv", headers=stack.admin)).text
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert [r["key"] for r in rows] == [c["key"] for c in as_json] == ["expo", "wp"]
    assert rows[1]["roi"] == "8.0000" and rows[1]["leads"] == "3"
    sla_csv = (
        await http.get("/v1/kpi/sla.csv", params={"campaign": "expo"}, headers=stack.admin)
    ).text
    overall = next(csv.DictReader(io.StringIO(sla_csv)))
    assert (overall["rep"], overall["handoffs"], overall["open_within_sla"]) == ("(all)", "1", "1")
    assert overall["within_sla_rate"] == ""  # nothing decided yet
    for params in ({}, {"campaign": "expo"}, {"campaign": "wp"}, {"from": "2030-01-01"}):
        await assert_csv_is_json(http, stack, params)
    assert (await http.get("/v1/kpi/nope.csv", headers=stack.admin)).status_code == 404


def _six_weeks(engine: Engine) -> None:
    """20 leads created on the Tuesdays of six weeks (from Mon 19 Oct 2026, Tokyo time):
    3, 5, 2, 0, 4 and 6; every second one an MQL two days later. The first of weeks 0 and
    2 is handed off then and won ten days after (a Sunday): 1,000,000 in the week of 26
    Oct, 3,000,000 in the week of 9 Nov. Their workflows count as started (nothing runs)."""
    with Session(engine) as s:
        for week, n in enumerate((3, 5, 2, 0, 4, 6)):
            created = datetime(2026, 10, 20, 10, tzinfo=TOKYO) + timedelta(weeks=week)
            for i in range(n):
                lead = Lead(
                    email=f"w{week}-{i}@customer.example.com",
                    source="wp" if i % 3 else "expo",
                    created_at=created,
                    workflow_started_at=created,
                    stage="nurturing",
                )
                s.add(lead)
                s.flush()
                if i % 2:
                    continue
                mql = created + timedelta(days=2)
                s.add(StageChange(lead_id=lead.id, at=mql, from_stage="nurturing", to_stage="mql"))
                if i == 0 and week in (0, 2):
                    won = mql + timedelta(days=10)
                    h = Handoff(
                        id=f"h-{lead.id}",
                        lead_id=lead.id,
                        created_at=mql,
                        status="won",
                        amount=Decimal(1_000_000 * (week + 1)),
                    )
                    s.add(h)
                    for event, at in (("assigned", mql), ("ack", mql), ("won", won)):
                        s.add(SlaEvent(handoff_id=h.id, lead_id=lead.id, at=at, event=event))
        s.commit()


async def _points(page: Page, series: str) -> list[float]:
    """The y of each bucket of a trend line, as drawn."""
    drawn = await page.get_attribute(f'#trends polyline[data-series="{series}"]', "points")
    return [float(xy.split(",")[1]) for xy in (drawn or "").split()]


async def test_trends_over_weeks_and_months_in_chromium(stack: ApiServer, engine: Engine) -> None:
    _six_weeks(engine)
    async with dashboard_in_chromium(stack.base_url) as page:
        new = await _points(page, "new_leads")
        assert len(new) == 6 and new[3] == max(new) and new[5] == min(new)  # 0 and 6 leads
        total = await page.get_attribute('#trends polyline[data-series="new_leads"]', "data-total")
        assert total == "20"
        revenue = {
            await b.get_attribute("data-start"): float(await b.get_attribute("height") or 0)
            for b in await page.locator("#trends rect.revenue-bar").all()
        }
        assert [k for k, h in revenue.items() if h] == ["2026-10-26", "2026-11-09"]
        assert abs(revenue["2026-11-09"] - 3 * revenue["2026-10-26"]) < 0.5  # 3 M vs 1 M
        assert await _text(page, "#median-mql-to-won") == "10.0"
        assert await _text(page, "#median-lead-to-mql") == "2.0"
        assert await page.locator("#trends rect.campaign-bar").count() == 5 * 2  # 5 weeks, 2 keys
        ARTIFACTS.mkdir(exist_ok=True)
        await page.locator("#trends").screenshot(path=str(ARTIFACTS / "dashboard-trends-weeks.png"))
        await page.click("#trends a:text('By month')")
        await page.wait_for_url("**period=month**")
        assert len(await _points(page, "new_leads")) == 2  # October, November
        await page.fill("input[name=from]", "2026-11-02")
        await page.fill("input[name=to]", "2026-11-15")
        await page.click("#filters button")
        await page.wait_for_url("**from=2026-11-02**")
        total = await page.get_attribute('#trends polyline[data-series="new_leads"]', "data-total")
        assert total == "2" and "period=month" in page.url  # the two leads of 3 Nov
