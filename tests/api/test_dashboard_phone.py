"""The dashboard as an executive reads it on a phone, in a real headless Chromium: nothing
wider than the screen, chart text readable, campaigns named alike in charts and tables,
every filter kept by every link, a reversed date range explained on the page, and a lift
that is infinite worded as such. Screenshots (desktop and phone) go to test-artifacts/."""

from __future__ import annotations

import httpx
from playwright.async_api import Page

from tests.api.test_dashboard import _event, _seed
from tests.utils.api import lead_when
from tests.utils.browser import ARTIFACTS, assert_fits_a_phone, dashboard_in_chromium
from tests.utils.stack import ApiServer


async def _lead_without_campaign(http: httpx.AsyncClient, api: ApiServer) -> None:
    """A decision maker with no source, handed off after a webinar without ever viewing
    pricing: so the pricing rule's wins come only from leads with it (both seeded wins or
    pending leads viewed pricing), and a "(no campaign)" row shows in every panel."""
    body = {
        "job_title": "CEO",
        "industry": "SaaS",
        "company_size": 200,
        "email": "nc@customer.example.com",
        "name": "NC",
        "scenario": "whitepaper",
    }
    lead_id = (await http.post("/v1/leads", json=body, headers=api.admin)).json()["id"]
    await _event(http, api, lead_id, "webinar_attended")
    await lead_when(http, api, lead_id, lambda s: s["stage"] == "sales_pending")


async def _texts(page: Page, selector: str) -> list[str]:
    return [t.strip() for t in await page.locator(selector).all_text_contents()]


async def test_the_dashboard_on_a_phone_and_its_words(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    await _seed(http, stack)
    await _lead_without_campaign(http, stack)
    pricing = next(
        r
        for r in (await http.get("/v1/kpi/scoring", headers=stack.admin)).json()["rules"]
        if r["rule"] == "pricing_page_view"
    )
    assert (pricing["win_rate_with"], pricing["win_rate_without"], pricing["win_lift"]) == (
        0.5,
        0.0,
        None,
    )

    async with dashboard_in_chromium(stack.base_url) as page:
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "dashboard-desktop.png"), full_page=True)

        # Campaigns are named alike in the charts and the tables; the key is in the tooltip.
        names = ["(no campaign)", "EXPO", "WP"]
        assert await _texts(page, "#campaigns g.roi-row text.name") == names
        assert await _texts(page, "#campaigns tr.campaign td:first-child") == names
        wp = page.locator('#campaigns g.roi-row[data-key="wp"] title')
        assert "(key wp)" in (await wp.text_content() or "")
        attributed = await _texts(page, "#attribution g.attributed-row text.name")
        assert attributed == await _texts(page, "#attribution tr.attributed td:first-child")
        assert set(attributed) <= set(names) and "WP" in attributed
        assert await _texts(page, "#campaign-legend li") == names
        assert "(none)" not in (await page.content())
        assert await page.text_content("select[name=campaign] option[value=wp]") == "WP"

        # One week of data: a labelled bar per series, each its own colour, legend alike.
        bars = page.locator("#trends rect.trend-bar")
        assert await bars.count() == 5
        colours = [await b.get_attribute("fill") for b in await bars.all()]
        revenue = await page.get_attribute("#trends rect.revenue-bar", "fill")
        assert len({*colours, revenue}) == 6
        legend = await page.locator("#trend-legend li i").evaluate_all(
            "is => is.map(i => getComputedStyle(i).backgroundColor)"
        )
        drawn = await bars.evaluate_all("bs => bs.map(b => getComputedStyle(b).fill)")
        assert legend == drawn
        values = await _texts(page, "#trend-counts g.single-bucket text.value")
        assert values == [await b.get_attribute("data-value") for b in await bars.all()]

        # The strongest rule: infinite lift, said so, not "–".
        lift = page.locator('#scoring tr[data-rule="pricing_page_view"] td.lift')
        assert (await lift.text_content() or "").strip() == "only with"
        assert "infinite" in (await lift.get_attribute("title") or "")

        # Every filter survives every link: the model keeps the period, the period the model.
        await page.click("#trends a:text('By month')")
        await page.wait_for_url("**period=month**")
        await page.click("#attribution nav a[data-model=linear]")
        await page.wait_for_url("**model=linear**")
        assert "period=month" in page.url
        assert (await page.text_content("#trends h2") or "").startswith("Trends by month")
        for link in await page.locator("#attribution nav a").all():
            assert "period=month" in (await link.get_attribute("href") or "")
        week = await page.get_attribute("#trends a:text('By week')", "href") or ""
        assert "model=linear" in week and "period=week" in week

        await assert_fits_a_phone(page)
        await page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)

        # A reversed range: the dashboard's form and a clear message, as a 422 page.
        await page.fill("input[name=from]", "2026-12-10")
        await page.fill("input[name=to]", "2026-12-01")
        async with page.expect_response("**/dashboard?*") as answer:
            await page.click("#filters button")
        assert (await answer.value).status == 422
        message = await page.text_content("#filter-error") or ""
        assert "the end date is before the start date" in message.lower()
        assert await page.input_value("input[name=from]") == "2026-12-10"
        assert await page.input_value("input[name=to]") == "2026-12-01"
        assert await page.get_attribute("input[name=model]", "value") == "linear"
        assert await page.locator("#funnel").count() == 0
        await page.screenshot(path=str(ARTIFACTS / "dashboard-phone-reversed-dates.png"))
        await page.fill("input[name=to]", "2026-12-31")
        async with page.expect_response("**/dashboard?*") as answer:
            await page.click("#filters button")
        assert (await answer.value).status == 200
        assert await page.locator("#filter-error").count() == 0

    reversed_range = {"from": "2026-12-10", "to": "2026-12-01"}
    for path in ("/v1/kpi/funnel", "/dashboard"):  # a script still gets the JSON envelope
        api = await http.get(path, params=reversed_range, headers=stack.admin)
        assert api.status_code == 422 and api.json()["error"]["code"] == "invalid", path
