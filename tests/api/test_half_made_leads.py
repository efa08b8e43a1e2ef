"""An intake during a Temporal outage never leaves a half-made lead behind.

The API stores the lead, then cannot reach Temporal: it answers 503. A client that retries
is told the lead was created (it never saw that answer before); a client that never
retries still gets its lead nurtured, because the worker's reconciler starts the workflow
of every stored lead that lacks one.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink, free_port
from nurture.orchestration.reconciler import GRACE, Reconciler
from nurture.settings import Settings
from tests.utils.api import lead_when
from tests.utils.factories import load
from tests.utils.stack import ApiServer, running_worker, serve_api

LEAD = {
    "name": "Sato Jiro",
    "company": "Sato Denki",
    "scenario": "whitepaper",
    "job_title": "Engineer",
    "industry": "Retail",
    "company_size": 20,
}


async def test_a_lead_stored_while_temporal_is_down_gets_its_workflow(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    down = await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=pydantic_data_converter
    )  # nothing listens: every call is refused, as in an outage
    async with (
        serve_api(down, settings) as outage,
        httpx.AsyncClient(base_url=outage.base_url, timeout=30) as http,
    ):
        retried = {"email": "retry@customer.example.com", **LEAD}
        never = {"email": "never@customer.example.com", **LEAD}
        for lead in (retried, never):
            r = await http.post("/v1/leads", json=lead, headers=outage.admin)
            assert r.status_code == 503, r.text
            assert r.json()["error"]["code"] == "unavailable"
        # Ops asking what is down are told: Temporal, after a few tries, not the database.
        health = await http.get("/healthz")
        assert health.status_code == 503, health.text
        checks = health.json()["checks"]
        assert checks["database"] == "ok" and checks["temporal"].startswith("unreachable: ")

    async with (
        running_worker(dev_env.client, settings, engine),
        serve_api(dev_env.client, settings) as api,
        httpx.AsyncClient(base_url=api.base_url, timeout=30) as http,
    ):
        again = await http.post("/v1/leads", json=retried, headers=api.admin)
        assert again.status_code == 201, again.text
        assert again.json()["created"] is True  # the first answer was a 503: new to them

        listed = (await http.get("/v1/leads", headers=api.admin)).json()["items"]
        orphan = uuid.UUID(next(i["id"] for i in listed if i["email"] == never["email"]))
        assert load(engine, orphan).workflow_started_at is None
        report = await Reconciler(dev_env.client, settings, engine).once(
            datetime.now(UTC) + GRACE + timedelta(seconds=1)
        )
        assert report.started == 1
        state = await lead_when(http, api, str(orphan), lambda s: s["step"] == "thanks")
        assert state["stage"] == "nurturing" and state["step"] == "thanks"
        mails = await smtp.received(2)

    assert sorted(m.to for m in mails) == [never["email"], retried["email"]]  # once each
    assert load(engine, orphan).workflow_started_at is not None
    report = await Reconciler(dev_env.client, settings, engine).once(
        datetime.now(UTC) + GRACE + timedelta(seconds=1)
    )
    assert report.started == 0  # nothing left to start


async def test_ten_intakes_of_one_address_at_once_make_one_lead_and_say_created_once(
    stack: ApiServer, http: httpx.AsyncClient, engine: Engine, smtp: MailSink
) -> None:
    spellings = [
        "Kimura.Aya@Customer.example.com",
        "kimura.aya@customer.example.com",
        "KIMURA.AYA@CUSTOMER.EXAMPLE.COM",
    ]
    answers = await asyncio.gather(
        *(
            http.post("/v1/leads", json={**LEAD, "email": spellings[n % 3]}, headers=stack.admin)
            for n in range(10)
        )
    )
    assert all(r.status_code in (200, 201) for r in answers), [r.text for r in answers]
    assert {r.json()["id"] for r in answers} == {answers[0].json()["id"]}  # one lead
    assert [r.json()["created"] for r in answers].count(True) == 1
    assert [r.status_code for r in answers].count(201) == 1
    mails = await smtp.received(1)
    await asyncio.sleep(0.5)
    assert [m.to for m in smtp.messages] == [mails[0].to]  # one first mail
