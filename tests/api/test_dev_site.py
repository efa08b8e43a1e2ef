"""The dev stack's placeholder site: where a mail's content link lands when no
NURTURE_SITE_URL is set, seen in headless Chromium; outside dev there is none."""

from __future__ import annotations

import httpx
from temporalio.testing import WorkflowEnvironment

from nurture.rules.content_links import ContentLinks, utm_for
from nurture.settings import DEV_SITE_PATH, Settings
from tests.utils.browser import phone_in_chromium
from tests.utils.stack import ApiServer, serve_api


async def test_a_content_link_lands_on_a_page_that_says_what_it_stands_for(
    stack: ApiServer,
) -> None:
    site = f"{stack.base_url}{DEV_SITE_PATH}"  # what NURTURE_SITE_URL is in dev by default
    url = ContentLinks(site, utm_for("wp-dx", "whitepaper", "demo-offer")).site("/book-a-demo")
    async with phone_in_chromium() as page:
        response = await page.goto(url)
        assert response is not None and response.status == 200
        heading = await page.text_content("h1")
        assert heading == "This is where your website's page /book-a-demo would be"
        rows = await page.eval_on_selector_all(
            "tr", "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"
        )
        assert rows == [
            ["utm_source", "nurture"],
            ["utm_medium", "email"],
            ["utm_campaign", "wp-dx"],
            ["utm_content", "whitepaper/demo-offer"],
        ]
        assert "NURTURE_SITE_URL" in (await page.text_content("body") or "")


async def test_outside_dev_the_api_serves_no_placeholder_site(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    production = settings.model_copy(update={"env": "production"})
    async with (
        serve_api(dev_env.client, production) as api,
        httpx.AsyncClient(base_url=api.base_url) as http,
    ):
        r = await http.get(f"{DEV_SITE_PATH}/book-a-demo")
    assert r.status_code == 404 and "NURTURE_SITE_URL" in r.json()["error"]["message"]
