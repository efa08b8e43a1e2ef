"""A lead that waited for a rep, read in the /sales workspace in a real headless Chromium:
its lead page opens (no JSON 500 for the waiting note) and says, in words, that it waited."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.settings import Settings
from nurture.tables import Rep
from tests.utils.api import lead_when, post_events
from tests.utils.browser import phone_in_chromium
from tests.utils.stack import ApiServer
from tests.utils.workspace import sign_in

ONE = "rep.one@sales.example.com"
WAITING_EN = "waiting for a sales rep"


def _disable_every_rep(engine: Engine) -> None:
    with session_scope(engine) as session:
        for rep in session.exec(select(Rep)).all():
            rep.active = False
            session.add(rep)


def _notes(lead: dict[str, Any]) -> list[str]:
    return [item["text"] for item in lead["timeline"]]


async def test_the_lead_page_of_a_lead_that_waited_for_a_rep_says_so_in_words(
    dev_env: WorkflowEnvironment,
    stack: ApiServer,
    http: httpx.AsyncClient,
    engine: Engine,
    settings: Settings,
    smtp: MailSink,
) -> None:
    _disable_every_rep(engine)
    body = {
        "email": "waited@customer.example.com",
        "name": "Ono Ren",
        "company": "Ono Kogyo",
        "scenario": "whitepaper",
        "job_title": "CTO",
        "industry": "Manufacturing",
        "company_size": 300,
    }
    lead_id = (await http.post("/v1/leads", json=body, headers=stack.admin)).json()["id"]
    event = {"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}
    assert (await post_events(http, stack, event)).status_code == 202
    handoff_id = f"handoff-{lead_id}-1"
    lead = await lead_when(
        http, stack, lead_id, lambda s: any(WAITING_EN in t for t in _notes(s)), 30
    )
    assert any(WAITING_EN in t for t in _notes(lead)), _notes(lead)

    # The operator enables Rep One with the real CLI, which also tells waiting handoffs.
    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": settings.database_url,
        "NURTURE_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
    }
    done = subprocess.run(
        [sys.executable, "-m", "nurture", "reps", "enable", ONE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lead = await lead_when(http, stack, lead_id, lambda s: s["stage"] == "sales_pending", 60)
    assert lead["stage"] == "sales_pending", lead["stage"]

    async with phone_in_chromium() as page:
        await sign_in(page, stack, smtp, ONE)
        assert await page.locator(f"#queue article[data-handoff='{handoff_id}']").count() == 1
        response = await page.goto(f"{stack.base_url}/sales/handoffs/{handoff_id}")
        assert response is not None and response.status == 200
        assert "Ono Ren" in await page.inner_text("#lead")
        timeline = await page.inner_text("#timeline")
        assert "waiting for a sales rep: none is available yet" in timeline, timeline
        assert "assigned to Rep One" in timeline, timeline
        assert "waiting_for_rep" not in timeline and "none is available)" not in timeline
