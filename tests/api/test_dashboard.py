"""The dashboard in a real headless Chromium: charts render, filters change the numbers,
and the CSV exports say what the JSON says. A screenshot is kept in test-artifacts/."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright

from tests.api.test_end_to_end import lead_when
from tests.api.test_handoffs import REP_ONE
from tests.conftest import ApiServer

CHROMIUM = os.environ.get("NURTURE_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # the machine's network is closed: no phoning home
    "--disable-component-update",
    "--disable-sync",
]


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
        await http.put(f"/v1/campaigns/{key}", headers=api.admin,
                       json={"name": key.upper(), "channel": channel, "cost": cost})  # fmt: skip
    hot = {"job_title": "CEO", "industry": "SaaS", "company_size": 200}
    wp_ids, expo_ids = [], []
    for i in range(3):
        body = {**hot, "email": f"wp{i}@customer.example.com", "name": f"WP {i}", "source": "wp",
                "scenario": "whitepaper"}  # fmt: skip
        wp_ids.append((await http.post("/v1/leads", json=body, headers=api.admin)).json()["id"])
    for i, profile in enumerate(({}, hot)):
        body = {**profile, "email": f"ex{i}@customer.example.com", "name": f"EX {i}",
                "source": "expo", "scenario": "webinar"}  # fmt: skip
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


def _cells(row: dict[str, Any]) -> dict[str, str]:
    """A JSON row as csv.DictReader reads it back."""
    return {k: "" if v is None else str(v) for k, v in row.items()}


async def assert_csv_is_json(
    http: httpx.AsyncClient, api: ApiServer, params: dict[str, str]
) -> None:
    """Every CSV export carries exactly the rows and numbers of its JSON twin."""

    async def get(path: str) -> Any:
        r = await http.get(path, params=params, headers=api.admin)
        assert r.status_code == 200, r.text
        if path.endswith(".csv"):
            assert r.headers["content-type"].startswith("text/csv")
            return list(csv.DictReader(io.StringIO(r.text)))
        return r.json()

    funnel = await get("/v1/kpi/funnel")
    parts = {"(all)": funnel["overall"], **funnel["by_campaign"]}
    assert await get("/v1/kpi/funnel.csv") == [
        _cells({"campaign": key, **s}) for key, f in parts.items() for s in f["stages"]
    ]
    for name in ("campaigns", "email"):
        assert await get(f"/v1/kpi/{name}.csv") == [_cells(r) for r in await get(f"/v1/kpi/{name}")]
    sla = await get("/v1/kpi/sla")
    reps = {"(all)": sla["overall"], **sla["by_rep"]}
    assert await get("/v1/kpi/sla.csv") == [_cells({"rep": k, **v}) for k, v in reps.items()]
    scoring = await get("/v1/kpi/scoring")
    assert await get("/v1/kpi/scoring.csv") == [_cells(r) for r in scoring["rules"]]
    reasons = await get("/v1/kpi/reject_reasons.csv")
    assert reasons == [_cells({"reason": k, "count": n}) for k, n in sla["reject_reasons"].items()]
    assert scoring["reject_reasons"] == sla["reject_reasons"]


@asynccontextmanager
async def dashboard_in_chromium(base_url: str) -> AsyncIterator[Page]:
    """The dashboard loaded in headless Debian Chromium, logged in as a manager."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: tests/ensure-services.sh installs it")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = await browser.new_context(
            http_credentials={"username": "manager", "password": "dev-admin-token"},
            viewport={"width": 1280, "height": 900},
        )
        page = await context.new_page()
        response = await page.goto(f"{base_url}/dashboard")
        assert response is not None and response.status == 200, await page.content()
        try:
            yield page
        finally:
            await browser.close()


async def _text(page: Page, selector: str) -> str:
    return (await page.text_content(selector) or "").strip()


async def _apply(page: Page, campaign: str) -> None:
    await page.select_option("select[name=campaign]", campaign)
    await page.click("#filters button")
    await page.wait_for_url(f"**campaign={campaign}**" if campaign else "**/dashboard?*")


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
        ("webinar/thanks-recording", 1), ("whitepaper/thanks", 3)]  # fmt: skip

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

        await _apply(page, "expo")  # the webinar leads: one mail, one open handoff
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

        await _apply(page, "wp")  # the whitepaper leads: three mails, one handoff in time
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
