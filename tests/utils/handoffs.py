"""A lead handed to sales, and the links its rep's mail carries: shared by the handoff tests."""

from __future__ import annotations

import asyncio
import re
import time

import httpx

from nurture.mailsink import MailSink
from tests.utils.api import lead_when, post_events
from tests.utils.stack import ApiServer

PUBLIC = "http://nurture.test"  # NURTURE_PUBLIC_URL of the test settings


async def handed_off(
    http: httpx.AsyncClient, api: ApiServer, email: str = "kato@customer.example.com"
) -> tuple[str, str]:
    """A lead handed to Rep One (the first in turn); its handoff ID and lead ID."""
    lead = {
        "email": email,
        "name": "Kato Mei",
        "company": "Kato Seiki",
        "scenario": "whitepaper",
        "job_title": "CTO",
        "industry": "Manufacturing",
        "company_size": 300,
    }
    lead_id = (await http.post("/v1/leads", json=lead, headers=api.admin)).json()["id"]
    event = {"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}
    assert (await post_events(http, api, event)).status_code == 202
    state = await lead_when(http, api, lead_id, lambda s: s["stage"] == "sales_pending")
    assert state["stage"] == "sales_pending", state
    return f"handoff-{lead_id}-1", lead_id


# The links' labels in the handoff mail, by the rep's language; the test names them in English.
LINK_LABELS = {
    "en": {w: w for w in ("Acknowledge", "Reject…", "Open lead", "Opportunity…", "Won…", "Lost…")},
    "ja": {
        "受領する": "Acknowledge",
        "差し戻す…": "Reject…",
        "リードを開く": "Open lead",
        "商談化…": "Opportunity…",
        "受注…": "Won…",
        "失注…": "Lost…",
    },
}


async def rep_links_in_mail(
    smtp: MailSink, api: ApiServer, to: str = "rep.one@sales.example.com", language: str = "en"
) -> tuple[dict[str, str], str]:
    """The rep's links by their (English) label in the mail's HTML, pointed at the test
    server; the mail's buttons are in the rep's `language`."""
    deadline = time.monotonic() + 30
    while not [m for m in smtp.messages if m.to == to] and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # other mails (the lead's, another rep's) may come first
    mails = [m for m in smtp.messages if m.to == to]
    assert mails, [(m.to, m.subject) for m in smtp.messages]
    notice = mails[0]
    html = notice.html()
    found = dict(re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html))
    labels = LINK_LABELS[language]
    by_label = {
        labels[label]: url.replace(PUBLIC, api.base_url)
        for url, label in found.items()
        if label in labels
    }
    assert set(LINK_LABELS["en"]) <= set(by_label), found
    assert "curl" not in notice.text() and "NURTURE_REP_TOKEN" not in notice.text()
    for label in ("Acknowledge", "Reject…", "Open lead"):
        assert by_label[label] in notice.text().replace(PUBLIC, api.base_url)
    return by_label, html
