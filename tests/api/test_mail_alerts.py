"""A relay mistake raises a clear alert where people look, and clears once it is fixed.

A wrong SMTP password holds the mail: `/healthz` names it for monitoring, the email KPI
counts it, and the marketing manager's dashboard (checked in headless Chromium) says
what is wrong and that the mail goes once it is fixed. With the right password the mail
goes out once and every alert is gone.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import httpx
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.settings import Settings
from tests.utils.browser import dashboard_in_chromium
from tests.utils.factories import outbox
from tests.utils.smtp_servers import Login, Scripted, ScriptedServer
from tests.utils.stack import running_worker, serve_api

LEAD = {
    "email": "ueda@customer.example.com",
    "name": "Ueda Sho",
    "company": "Ueda KK",
    "scenario": "whitepaper",
    "job_title": "Engineer",
    "industry": "Retail",
    "company_size": 20,
}


async def _until(check: Callable[[], object], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


def _relay(settings: Settings, port: int, password: str) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_username": "nurture",
            "smtp_password": SecretStr(password),
        }
    )


async def test_held_mail_is_named_by_healthz_kpi_and_dashboard_until_fixed(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    handler = Scripted()
    with ScriptedServer(handler, login=Login("nurture", "right")) as server:
        wrong = _relay(settings, server.port, "wrong")
        right = _relay(settings, server.port, "right")
        async with (
            serve_api(dev_env.client, wrong) as api,
            httpx.AsyncClient(base_url=api.base_url, timeout=30) as http,
        ):
            async with running_worker(dev_env.client, wrong, engine):
                r = await http.post("/v1/leads", json=LEAD, headers=api.admin)
                lead_id = uuid.UUID(r.json()["id"])
                await _until(lambda: [m for m in outbox(engine, lead_id) if m.status == "held"])

                health = (await http.get("/healthz")).json()
                mail = health["notices"]["mail"]
                assert mail.startswith("1 held since ") and "refused our login (535" in mail
                assert health["status"] == "degraded" and health["checks"]["database"] == "ok"
                email = (await http.get("/v1/kpi/email", headers=api.admin)).json()
                assert [(s["step"], s["held"], s["delivered"]) for s in email] == [("thanks", 1, 0)]
                async with dashboard_in_chromium(api.base_url) as page:
                    alert = await page.locator("#mail-alert").text_content() or ""
                    assert await page.locator("#mail-alert").is_visible()
                assert "1 mail held: the relay 127.0.0.1:" in alert
                assert "check NURTURE_SMTP_USERNAME and NURTURE_SMTP_PASSWORD" in alert
                assert "go out as soon as the relay or the SMTP settings are fixed" in alert

            async with running_worker(dev_env.client, right, engine):  # fixed, restarted
                await _until(lambda: handler.accepted)
                await _until(lambda: [m.status for m in outbox(engine, lead_id)] == ["sent"])
                health = (await http.get("/healthz")).json()
                async with dashboard_in_chromium(api.base_url) as page:
                    alerts = await page.locator("#mail-alert").count()

    assert len(handler.accepted) == 1
    assert health["notices"]["mail"] == "ok"
    assert alerts == 0
