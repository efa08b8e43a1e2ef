"""The dev mail viewer in headless Chromium, as a newcomer reads the mail nurture sent: a
link in the mail opens the page it points at in a new tab, from the HTML part and from the
text part, and the page never scrolls sideways."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path

import uvicorn

from nurture.cli.mailviewer import create_viewer
from nurture.mailsink import MailSink, free_port
from tests.utils.browser import phone_in_chromium

LONG = "https://www.example.com/resources/dx-guide?utm_source=nurture&utm_content=" + "x" * 150


@asynccontextmanager
async def _viewer(folder: Path) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_viewer(folder), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the viewer did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def _send(sink: MailSink, link: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "n@example.com", "lead@example.com", "Your paper"
    msg.set_content(f"Read it again any time: {link}\n\nA long one: {LONG}\n")
    msg.add_alternative(
        f'<html><head><title>x</title></head><body><p><a href="{link}">Read it again</a></p>'
        "</body></html>",
        subtype="html",
    )
    with smtplib.SMTP(sink.host, sink.port) as smtp:
        smtp.send_message(msg)


async def test_links_in_the_viewer_open_their_page_in_a_new_tab(tmp_path: Path) -> None:
    sink = MailSink(folder=tmp_path).start()
    try:
        async with _viewer(tmp_path) as base, phone_in_chromium() as page:
            link = f"{base}/?from=the-mail"  # the viewer's own list stands in for the site
            await asyncio.to_thread(_send, sink, link)
            assert len(list(tmp_path.glob("*.eml"))) == 1  # kept before the sink said 250
            await page.goto(f"{base}/messages/1")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page scrolls sideways: {width} px"  # the long URL wraps

            frame = page.frame_locator("iframe")
            async with page.context.expect_page() as opened:
                await frame.get_by_role("link", name="Read it again").click()
            tab = await opened.value
            await tab.wait_for_load_state()
            assert tab.url == link and "Mail" in await tab.title()

            async with page.context.expect_page() as opened:
                await page.locator("pre a", has_text="from=the-mail").click()
            tab = await opened.value
            await tab.wait_for_load_state()
            assert tab.url == link
    finally:
        sink.stop()
