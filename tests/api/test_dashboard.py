"""The dashboard in a real headless Chromium: charts render, filters change the numbers,
and the CSV exports say what the JSON says. A screenshot is kept in test-artifacts/."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

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


async def _seed(http: httpx.AsyncClient, api: ApiServer) -> None:
    """Two campaigns; whitepaper leads of which one is won, expo leads that stay nurturing."""
    for key, channel, cost in (("wp", "whitepaper", "100000"), ("expo", "expo", "400000")):
        await http.put(f"/v1/campaigns/{key}", headers=api.admin,
                       json={"name": key.upper(), "channel": channel, "cost": cost})  # fmt: skip
    hot = {"job_title": "CEO", "industry": "SaaS", "company_size": 200, "scenario": "whitepaper"}
    won_id = ""
    for i in range(3):
        body = {**hot, "email": f"wp{i}@customer.example.com", "name": f"WP {i}", "source": "wp"}
        lead_id = (await http.post("/v1/leads", json=body, headers=api.admin)).json()["id"]
        won_id = won_id or lead_id
    for i in range(2):
        body = {"email": f"ex{i}@customer.example.com", "name": f"EX {i}", "source": "expo",
                "scenario": "webinar"}  # fmt: skip
        await http.post("/v1/leads", json=body, headers=api.admin)
    event = json.dumps({"event_id": "p", "lead_id": won_id, "type": "pricing_page_view"}).encode()
    await http.post("/v1/events", content=event, headers=api.signed(event))
    await lead_when(http, api, won_id, lambda s: s["stage"] == "sales_pending")
    handoff = f"handoff-{won_id}-1"
    await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)
    await http.post(f"/v1/handoffs/{handoff}/won", json={"amount": 900000}, headers=REP_ONE)
    await lead_when(http, api, won_id, lambda s: s["stage"] == "won")


async def test_dashboard_renders_filters_and_exports(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
    await _seed(http, stack)
    assert (await http.get("/dashboard")).status_code == 401

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = await browser.new_context(
            http_credentials={"username": "manager", "password": "dev-admin-token"},
            viewport={"width": 1280, "height": 900},
        )
        page = await context.new_page()
        response = await page.goto(f"{stack.base_url}/dashboard")
        assert response is not None and response.status == 200, await page.content()
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
        assert await page.locator("#email rect.open-rate").count() == 1  # whitepaper/thanks
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        await page.select_option("select[name=campaign]", "expo")
        await page.click("#filters button")
        await page.wait_for_url("**campaign=expo**")
        assert await page.text_content("#new-leads") == "2"
        assert await page.text_content("#won") == "0"
        await page.fill("input[name=from]", "2030-01-01")
        await page.click("#filters button")
        await page.wait_for_url("**from=2030-01-01**")
        assert await page.text_content("#new-leads") == "0"
        await browser.close()

    as_json = (await http.get("/v1/kpi/campaigns", headers=stack.admin)).json()
    as_csv = (await http.get("/v1/kpi/campaigns.csv", headers=stack.admin)).text
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert [r["key"] for r in rows] == [c["key"] for c in as_json] == ["expo", "wp"]
    assert [r["revenue"] for r in rows] == [str(c["revenue"]) for c in as_json]
    assert rows[1]["roi"] == "8.0000" and rows[1]["leads"] == "3"
    funnel = list(csv.DictReader(io.StringIO((await http.get(
        "/v1/kpi/funnel.csv", headers=stack.admin)).text)))  # fmt: skip
    overall = {r["stage"]: int(r["count"]) for r in funnel if r["campaign"] == "(all)"}
    assert overall["new"] == 5 and overall["won"] == 1
    for name, key in (("email", None), ("scoring", "rules")):
        r = await http.get(f"/v1/kpi/{name}.csv", headers=stack.admin)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        data = (await http.get(f"/v1/kpi/{name}", headers=stack.admin)).json()
        expected = data[key] if key else data
        assert list(csv.DictReader(io.StringIO(r.text))) == [
            {k: "" if v is None else str(v) for k, v in row.items()} for row in expected
        ]
    sla_rows = list(csv.DictReader(io.StringIO((await http.get(
        "/v1/kpi/sla.csv", headers=stack.admin)).text)))  # fmt: skip
    sla_json = (await http.get("/v1/kpi/sla", headers=stack.admin)).json()
    assert sla_rows[0]["rep"] == "(all)"
    assert int(sla_rows[0]["handoffs"]) == sla_json["overall"]["handoffs"] == 1
    assert (await http.get("/v1/kpi/nope.csv", headers=stack.admin)).status_code == 404
