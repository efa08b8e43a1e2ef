"""/docs and /redoc render in headless Chromium with every request off this machine blocked:
the API's reference works on a closed network (its assets come from an installed package)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Route, async_playwright
from temporalio.testing import WorkflowEnvironment

from nurture.settings import Settings
from tests.utils.browser import ARTIFACTS, CHROMIUM, FLAGS
from tests.utils.stack import serve_api

LOCAL = {"127.0.0.1", "localhost"}
REDOC_BADGE = "https://cdn.redoc.ly/redoc/logo-mini"


@asynccontextmanager
async def offline_page(blocked: list[str]) -> AsyncIterator[Page]:
    """A Chromium page that reaches only this machine; what else it asked for is in `blocked`."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: tests/ensure-services.sh installs it")

    async def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL:
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.route("**/*", only_local)
        try:
            yield page
        finally:
            await browser.close()


async def test_swagger_ui_lists_the_operations_offline(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    blocked: list[str] = []
    async with serve_api(dev_env.client, settings) as api, offline_page(blocked) as page:
        response = await page.goto(f"{api.base_url}/docs")
        assert response is not None and response.status == 200
        await page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = await page.locator(".opblock-summary-path").all_text_contents()
        methods = await page.locator(".opblock-summary-method").all_text_contents()
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))
    assert {"/v1/leads", "/v1/events", "/v1/handoffs/{handoff_id}/ack", "/healthz"} <= {
        p.replace("\u200b", "") for p in paths
    }
    assert {"GET", "POST", "PUT"} <= set(methods)
    assert blocked == []  # nothing was even asked for off this machine


async def test_redoc_renders_the_reference_offline(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    blocked: list[str] = []
    async with serve_api(dev_env.client, settings) as api, offline_page(blocked) as page:
        response = await page.goto(f"{api.base_url}/redoc")
        assert response is not None and response.status == 200
        await page.wait_for_selector("[data-section-id^='operation/']", timeout=20_000)
        operations = await page.locator("[data-section-id^='operation/']").count()
        body = await page.inner_text("body")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "redoc-offline.png"))
    assert operations >= 20
    assert "/v1/leads" in body and "/v1/events" in body
    # ReDoc's own "API docs by Redocly" badge is an image from its site; its alt text shows.
    assert all(url.startswith(REDOC_BADGE) for url in blocked), blocked
