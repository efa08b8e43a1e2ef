"""Signing in to /sales as a person would: ask for the link, read it from the SMTP sink,
open it, press the button."""

from __future__ import annotations

import asyncio
import re
import time

from playwright.async_api import Page

from nurture.mailsink import MailSink
from tests.utils.handoffs import PUBLIC
from tests.utils.stack import ApiServer


async def sign_in_link(smtp: MailSink, api: ApiServer, email: str, nth: int = 1) -> str:
    """The `nth` sign-in link mailed to `email`, pointed at the test server."""
    deadline = time.monotonic() + 15
    while True:
        links = [m for m in smtp.messages if m.to == email and "/sales/sign-in/" in m.text()]
        if len(links) >= nth or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert len(links) >= nth, [m.subject for m in smtp.messages]
    found = re.search(r"(\S+/sales/sign-in/\S+)", links[nth - 1].text())
    assert found is not None
    html_link = re.search(r'<a href="([^"]+)"', links[nth - 1].html())
    assert html_link is not None and html_link.group(1) == found.group(1)
    return found.group(1).replace(PUBLIC, api.base_url)


async def ask_for_link(page: Page, api: ApiServer, email: str) -> str:
    """Fill the sign-in page; the words it answers with."""
    await page.goto(f"{api.base_url}/sales")
    await page.fill("#email", email)
    await page.click("button[type=submit]")
    return await page.inner_text("#outcome")


async def sign_in(page: Page, api: ApiServer, smtp: MailSink, email: str) -> None:
    """Signed in, on the first page /sales shows."""
    before = len([m for m in smtp.messages if m.to == email and "/sales/sign-in/" in m.text()])
    await ask_for_link(page, api, email)
    link = await sign_in_link(smtp, api, email, nth=before + 1)
    await page.goto(link)
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(re.escape(api.base_url) + r"/sales(/team)?$"))
