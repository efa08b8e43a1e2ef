"""A lead handed to sales, and the links its rep's mail carries: shared by the handoff tests."""

from __future__ import annotations

import re

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


async def rep_links_in_mail(smtp: MailSink, api: ApiServer) -> tuple[dict[str, str], str]:
    """The rep's links by their label in the mail's HTML, pointed at the test server."""
    mails = await smtp.received(2)
    notice = next(m for m in mails if m.to == "rep.one@sales.example.com")
    html = notice.html()
    found = dict(re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html))
    by_label = {label: url.replace(PUBLIC, api.base_url) for url, label in found.items()}
    assert {"Acknowledge", "Reject…", "Open lead", "Opportunity…", "Won…", "Lost…"} <= set(
        by_label
    ), by_label
    assert "curl" not in notice.text() and "NURTURE_REP_TOKEN" not in notice.text()
    for label in ("Acknowledge", "Reject…", "Open lead"):
        assert by_label[label] in notice.text().replace(PUBLIC, api.base_url)
    return by_label, html
