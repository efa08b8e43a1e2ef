"""A rep without a language of their own reads NURTURE_DEFAULT_LANGUAGE: mail and pages."""

from __future__ import annotations

import httpx
import pytest

from nurture.mailsink import MailSink
from nurture.settings import Settings
from tests.utils.browser import phone_in_chromium
from tests.utils.handoffs import handed_off, rep_links_in_mail
from tests.utils.stack import ApiServer


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"default_language": "ja"})


async def test_a_japanese_team_reads_japanese_pages(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink
) -> None:
    await handed_off(http, stack)
    links, _ = await rep_links_in_mail(smtp, stack, language="ja")
    async with phone_in_chromium() as page:
        await page.goto(links["Acknowledge"])
        assert await page.get_attribute("html", "lang") == "ja"
        assert "受領期限" in await page.inner_text("#lead")
        await page.click("button[type=submit]")
        outcome = await page.inner_text("#outcome")
        assert "に受領しました" in outcome and "JST" in outcome, outcome
