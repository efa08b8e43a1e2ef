"""The /sales workspace's promises about who gets in and where to: the way back after
signing in is only ever a /sales page, real stack and headless Chromium."""

from __future__ import annotations

import pytest

from api.services.workspace_auth import safe_next
from nurture.mailsink import MailSink
from tests.utils.browser import phone_in_chromium
from tests.utils.stack import ApiServer
from tests.utils.workspace import sign_in_link

ONE = "rep.one@sales.example.com"
TWO = "rep.two@sales.example.com"


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/sales/handoffs/handoff-3f2a-1", "/sales/handoffs/handoff-3f2a-1"),
        ("/sales/team", "/sales/team"),
        ("/sales", None),  # where a sign-in lands anyway
        ("https://evil.example/sales", None),
        ("//evil.example/sales", None),
        ("/sales//evil.example", None),
        ("/sales/../admin", None),
        ("/sales/./team", None),
        ("/salesforce", None),
        ("/sales/team?x=1", None),
        ("/sales/team#x", None),
        ("/sales\\evil", None),
        ("/sales/sign-in/abc", None),
        ("/sales/sign-out", None),
        ("/sales/" + "a" * 400, None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_plain_sales_page_is_a_way_back(path: str | None, kept: str | None) -> None:
    assert safe_next(path) == kept


async def _sign_in_with_next(stack: ApiServer, smtp: MailSink, email: str, next_: str) -> str:
    """Ask for a link from the sign-in page with a crafted `next`; the URL after signing in."""
    async with phone_in_chromium() as page:
        await page.goto(f"{stack.base_url}/sales")
        await page.evaluate(
            """(next) => {
                const form = document.querySelector("form[action='/sales/sign-in']");
                form.querySelectorAll("input[name=next]").forEach((i) => i.remove());
                const input = document.createElement("input");
                input.type = "hidden"; input.name = "next"; input.value = next;
                form.appendChild(input);
            }""",
            next_,
        )
        await page.fill("#email", email)
        await page.click("button[type=submit]")
        link = await sign_in_link(smtp, stack, email)
        await page.goto(link)
        await page.click("button[type=submit]")
        await page.wait_for_url(lambda url: "/sales/sign-in/" not in url)
        return page.url


async def test_a_crafted_way_back_to_another_site_lands_on_the_queue(
    stack: ApiServer, smtp: MailSink
) -> None:
    landed = await _sign_in_with_next(stack, smtp, ONE, "https://evil.example/steal")
    assert landed == f"{stack.base_url}/sales"
    landed = await _sign_in_with_next(stack, smtp, TWO, "/sales/history")
    assert landed == f"{stack.base_url}/sales/history"
