"""Nothing is lost when the worker is down: the API stores, starts, and the worker catches up."""

from __future__ import annotations

import gc
import json

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink
from nurture.settings import Settings
from tests.utils.api import lead_when
from tests.utils.stack import running_worker, serve_api


async def test_intake_and_events_without_a_worker_are_caught_up_later(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    smtp: MailSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    quick = settings.model_copy(update={"intake_wait_seconds": 0.5})
    lead = {
        "email": "late@customer.example.com",
        "name": "Late",
        "scenario": "whitepaper",
        "job_title": "CEO",
        "industry": "SaaS",
        "company_size": 200,
    }
    async with (
        serve_api(dev_env.client, quick) as api,
        httpx.AsyncClient(base_url=api.base_url, timeout=30) as http,
    ):
        r = await http.post("/v1/leads", json=lead, headers=api.admin)
        assert r.status_code == 202, r.text
        body = r.json()
        assert body["pending"] is True and body["stage"] == "new"
        gc.collect()  # an unread future's error is logged when it is collected
        unread = [r for r in caplog.records if "never retrieved" in r.getMessage()]
        assert unread == []  # a 202 is not an ERROR in the API's log
        lead_id = body["id"]
        events = json.dumps([{"event_id": "p1", "lead_id": lead_id, "type": "page_view"}]).encode()
        r = await http.post("/v1/events", content=events, headers=api.signed(events))
        assert r.status_code == 202  # durably queued in the workflow, no worker needed
        assert smtp.messages == []

        async with running_worker(dev_env.client, settings, engine):
            state = await lead_when(
                http, api, lead_id, lambda s: s["score"] == 46 and s["step"] == "thanks"
            )
            mails = await smtp.received(1)

    assert state["stage"] == "nurturing" and state["step"] == "thanks"
    assert state["score"] == 46  # 45 from the profile, +1 for the page view sent while down
    assert [m.to for m in mails] == ["late@customer.example.com"]
