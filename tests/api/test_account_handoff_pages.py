"""An account handed to sales as a whole, as the people who use it see it, on the real
stack: two people of one company taken in over HTTP and engaged by a webinar each; the
rep's mail (read back from the SMTP sink) and their lead page (headless Chromium) list the
other person, and the accounts API and the dashboard say the account was handed over."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from nurture.mailsink import MailSink
from nurture.rules.accounts import account_id
from tests.utils.api import REP_ONE, lead_when, post_events
from tests.utils.browser import phone_in_chromium
from tests.utils.stack import ApiServer
from tests.utils.workspace import sign_in

ONE = "rep.one@sales.example.com"
COLD = {"job_title": "Engineer", "industry": "Retail", "company_size": 20}  # no fit points


async def _lead(http: httpx.AsyncClient, api: ApiServer, email: str, name: str) -> str:
    body = {**COLD, "email": email, "name": name, "company": "Hoshi Kiko", "scenario": "webinar"}
    r = await http.post("/v1/leads", json=body, headers=api.admin)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _webinar(http: httpx.AsyncClient, api: ApiServer, lead_id: str) -> None:
    event = {"event_id": f"{lead_id}-w", "lead_id": lead_id, "type": "webinar_attended"}
    assert (await post_events(http, api, event)).status_code == 202
    lead = await lead_when(http, api, lead_id, lambda s: s["engagement"] == 20, timeout=60)
    assert lead["engagement"] == 20, lead


async def _mail_to(smtp: MailSink, to: str) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [m for m in smtp.messages if m.to == to]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail to {to}: {[m.to for m in smtp.messages]}")


async def test_the_rep_sees_the_whole_buying_group_in_mail_page_api_and_dashboard(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink
) -> None:
    mori = await _lead(http, stack, "mori@hoshi-kiko.co.jp", "Mori Aya")
    await _webinar(http, stack, mori)  # one engaged person: nothing yet
    assert (
        await http.get(f"/v1/handoffs/handoff-{mori}-1", headers=stack.admin)
    ).status_code == 404
    abe = await _lead(http, stack, "abe@hoshi-kiko.co.jp", "Abe Ken")
    await _webinar(http, stack, abe)  # two: the account goes to sales with Abe
    state = await lead_when(http, stack, abe, lambda s: s["stage"] == "sales_pending", timeout=60)
    assert (state["stage"], state["score"]) == ("sales_pending", 20), state

    mail = await _mail_to(smtp, ONE)
    assert mail.subject == "Hoshi Kiko: 2 people are ready for sales, with Abe Ken"
    assert "- Mori Aya, Engineer <mori@hoshi-kiko.co.jp>: engagement 20" in mail.text()
    assert 'class="buying-group"' in mail.html() and "Mori Aya" in mail.html()

    account = str(account_id("hoshi-kiko.co.jp"))
    detail = (await http.get(f"/v1/accounts/{account}", headers=stack.admin)).json()
    handed = detail["handed_over"]
    assert (handed["lead_id"], handed["leads"], handed["outcome"]) == (abe, [abe, mori], None)
    assert (detail["with_sales"], detail["rep"]) == (True, "Rep One")
    dashboard = await http.get("/dashboard", auth=("manager", "dev-admin-token"))
    row = dashboard.text.split(f'data-account="{account}"')[1].split("</tr>")[0]
    assert 'class="ready">handed over<' in row

    handoff = f"handoff-{abe}-1"
    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, ONE)
        await page.goto(f"{stack.base_url}/sales/handoffs/{handoff}")
        group = await page.inner_text("#buying-group")
        assert "Hoshi Kiko comes to you as a whole" in group and "2 people engaged" in group
        assert "Mori Aya · Engineer · Engagement 20" in group
        mailto = await page.get_attribute("#buying-group a", "href")
        assert mailto == "mailto:mori@hoshi-kiko.co.jp"
    # Won: the account is a customer, never handed as a group again; its claim says won.
    for action, body in (("ack", {}), ("won", {"amount": 3_000_000})):
        r = await http.post(f"/v1/handoffs/{handoff}/{action}", json=body, headers=REP_ONE)
        assert r.status_code == 200, r.text

    async def won() -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while True:
            found = (await http.get(f"/v1/accounts/{account}", headers=stack.admin)).json()
            if found["handed_over"]["outcome"] or time.monotonic() > deadline:
                return dict(found)
            await asyncio.sleep(0.1)

    after = await won()
    assert (after["handed_over"]["outcome"], after["customer"]) == ("won", True)
    dashboard = await http.get("/dashboard", auth=("manager", "dev-admin-token"))
    row = dashboard.text.split(f'data-account="{account}"')[1].split("</tr>")[0]
    assert 'class="ready">customer<' in row
    # Mori's own timeline says how she reached sales.
    timeline = (await http.get(f"/v1/leads/{mori}", headers=stack.admin)).json()["timeline"]
    assert any(f"its account's buying group, by lead {abe}" in str(n) for n in timeline)
