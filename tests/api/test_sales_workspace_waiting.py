"""A lead that waited for a rep, read in the /sales workspace in a real headless Chromium:
its lead page opens (no JSON 500 for the waiting note) and says, in words, that it waited."""

from __future__ import annotations

import httpx
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink
from nurture.settings import Settings
from tests.utils.api import lead_when
from tests.utils.browser import phone_in_chromium
from tests.utils.stack import ApiServer
from tests.utils.waiting import (
    WAITING,
    a_lead_waiting_for_a_rep,
    disable_every_rep,
    notes,
    run_nurture,
)
from tests.utils.workspace import sign_in

ONE = "rep.one@sales.example.com"


async def test_the_lead_page_of_a_lead_that_waited_for_a_rep_says_so_in_words(
    dev_env: WorkflowEnvironment,
    stack: ApiServer,
    http: httpx.AsyncClient,
    engine: Engine,
    settings: Settings,
    smtp: MailSink,
) -> None:
    disable_every_rep(engine)
    lead_id, lead = await a_lead_waiting_for_a_rep(http, stack, "waited@customer.example.com")
    handoff_id = f"handoff-{lead_id}-1"
    assert any(WAITING in t for t in notes(lead)), notes(lead)

    # The operator enables Rep One with the real CLI, which also tells waiting handoffs.
    done = run_nurture(settings, dev_env.client, "reps", "enable", ONE)
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
