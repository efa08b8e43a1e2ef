"""The dashboard as a manager sees it: headless Debian Chromium through Playwright."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright

from tests.utils.stack import ApiServer

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
    trends = await get("/v1/kpi/trends")
    lines = {"(all)": trends["overall"], **trends["by_campaign"]}
    assert await get("/v1/kpi/trends.csv") == [
        _cells({"campaign": k, **p}) for k, t in lines.items() for p in t["points"]
    ]


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


async def apply_campaign(page: Page, campaign: str) -> None:
    await page.select_option("select[name=campaign]", campaign)
    await page.click("#filters button")
    await page.wait_for_url(f"**campaign={campaign}**" if campaign else "**/dashboard?*")


@asynccontextmanager
async def phone_in_chromium() -> AsyncIterator[Page]:
    """A blank page in headless Debian Chromium at phone width, as a rep on the go opens mail."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: tests/ensure-services.sh installs it")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        try:
            yield await context.new_page()
        finally:
            await browser.close()


PHONE_WIDTH = 375

# Each chart label's size as drawn: its font size in the chart's units times the chart's
# scale (its width on screen over its viewBox width), its height on screen, and whether it
# lies inside its chart (not cut off). Labels not drawn are left out.
_CHART_TEXT_SIZES = """() => [...document.querySelectorAll("svg text")]
  .filter((t) => t.getBoundingClientRect().width > 0)
  .map((t) => {
    const svg = t.ownerSVGElement;
    const box = svg.getBoundingClientRect(), drawn = t.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    return [svg.closest("section").id, t.textContent.trim(),
            parseFloat(getComputedStyle(t).fontSize) * scale, drawn.height,
            drawn.left >= box.left - 1 && drawn.right <= box.right + 1];
  })"""


async def assert_fits_a_phone(page: Page) -> None:
    """At phone width the page is no wider than the screen (wide tables scroll in their own
    box, with the hint shown), and every chart label renders at 11 px or more."""
    await page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide at {PHONE_WIDTH} px"
    for box in await page.locator(".wide").all():  # what is cut off says so
        if await box.evaluate("b => b.scrollWidth > b.clientWidth + 1"):
            hint = box.locator("xpath=preceding-sibling::*[1][contains(@class, 'scroll-hint')]")
            assert await hint.is_visible(), await box.get_attribute("aria-label")
    sizes = await page.evaluate(_CHART_TEXT_SIZES)
    assert sizes, "no chart text drawn"
    small = [s for s in sizes if s[2] < 11 or s[3] < 11]
    assert not small, small
    cut = [s for s in sizes if not s[4]]  # larger text still inside its chart
    assert not cut, cut
