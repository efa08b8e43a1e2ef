"""The ROI panel's attribution block in a real headless Chromium: the model switch shows
each model's figures as the API answers them, the CSV link holds the JSON's rows, and the
block stays readable at phone width. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import httpx
from playwright.async_api import Page, ViewportSize

from api.services.attribution_panel import credit, money, percent
from tests.utils.browser import ARTIFACTS, apply_campaign, dashboard_in_chromium
from tests.utils.journeys import multi_touch_journey
from tests.utils.stack import ApiServer

PHONE = ViewportSize(width=390, height=844)


async def _shown(page: Page) -> dict[str, dict[str, str]]:
    """The block's table as the manager reads it: campaign key → column → text."""
    rows: dict[str, dict[str, str]] = {}
    for row in await page.locator("#attribution tr.attributed").all():
        key = await row.get_attribute("data-key") or ""
        cells = {}
        for name in ("touched_leads", "mqls", "pipeline", "won_revenue", "cost", "roi"):
            cells[name] = (await row.locator(f"td[data-field={name}]").text_content() or "").strip()
        rows[key] = cells
    return rows


def _expected(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The API's figures, worded as the page words them."""

    def dec(v: Any) -> Decimal | None:
        return None if v is None else Decimal(v)

    return {
        c["key"]: {
            "touched_leads": str(c["touched_leads"]),
            "mqls": credit(Decimal(c["mqls"])),
            "pipeline": money(dec(c["pipeline"])),
            "won_revenue": money(dec(c["won_revenue"])),
            "cost": money(dec(c["cost"])),
            "roi": percent(dec(c["roi"])),
        }
        for c in report["campaigns"]
    }


async def test_the_model_switch_and_the_csv(stack: ApiServer, http: httpx.AsyncClient) -> None:
    await multi_touch_journey(http, stack)

    async def api(model: str, **filters: str) -> dict[str, Any]:
        params = {"model": model, **filters}
        r = await http.get("/v1/kpi/attribution", params=params, headers=stack.admin)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async with dashboard_in_chromium(stack.base_url) as page:
        assert await page.get_attribute("#attribution", "data-model") == "position"
        position = await api("position")
        assert await _shown(page) == _expected(position)
        assert (await _shown(page))["wp"]["won_revenue"] == "360,000"  # the hand count
        assert (await _shown(page))["expo"]["cost"] == "–"  # no cost recorded
        ARTIFACTS.mkdir(exist_ok=True)
        await page.locator("#campaigns").screenshot(path=str(ARTIFACTS / "attribution.png"))

        seen = {}
        for model in ("linear", "first", "last"):
            await page.click(f"#attribution nav a[data-model={model}]")
            await page.wait_for_url(f"**model={model}**")
            assert await page.get_attribute("#attribution", "data-model") == model
            assert await page.get_attribute(f"#attribution nav a[data-model={model}]", "class") == (
                "model active"
            )
            seen[model] = await _shown(page)
            assert seen[model] == _expected(await api(model)), model
        assert seen["linear"]["ads"]["won_revenue"] == "300,000"
        assert seen["first"]["expo"]["won_revenue"] == "900,000"
        assert seen["last"]["wp"]["won_revenue"] == "900,000"
        assert len({s["wp"]["won_revenue"] for s in seen.values()}) == 3  # the switch changes them
        total = await page.get_attribute(
            "#attribution-total th[data-field=won_revenue]", "data-value"
        )
        assert total == "900000.00"

        # The page's filters keep the model, apply to the block, and the CSV link follows.
        await apply_campaign(page, "wp")
        assert await page.get_attribute("#attribution", "data-model") == "last"
        assert await _shown(page) == _expected(await api("last", campaign="wp"))
        href = await page.get_attribute("#attribution-csv", "href") or ""
        assert href.startswith("/v1/kpi/attribution.csv?") and "model=last" in href
        assert "campaign=wp" in href
        r = await http.get(href, headers=stack.admin)
        assert r.status_code == 200, r.text
        cells = [
            {k: "" if v is None else str(v) for k, v in c.items()}
            for c in (await api("last", campaign="wp"))["campaigns"]
        ]
        assert list(csv.DictReader(io.StringIO(r.text))) == cells

        await page.set_viewport_size(PHONE)
        box = await page.locator("#attribution").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        for link in await page.locator("#attribution nav a").all():
            assert await link.is_visible()
        await page.locator("#attribution").screenshot(path=str(ARTIFACTS / "attribution-phone.png"))
