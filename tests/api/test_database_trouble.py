"""A database that is locked or cannot write: a JSON 503 within seconds, and /healthz says so."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest

from nurture.cli.demo.session import Api, DemoSession
from nurture.cli.demo.summary import Summary
from nurture.settings import Settings
from tests.utils.db_trouble import locked
from tests.utils.stack import ApiServer

BUSY_TIMEOUT = 1.0
# What a client may wait for an answer: the busy timeout and a wide margin for a loaded
# machine, far below the 30 s the API used to hang.
ANSWER_WITHIN = 10.0
CAMPAIGN = {"name": "Expo", "channel": "expo", "cost": "1000"}


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    changes: dict[str, object] = {"database_busy_timeout_seconds": BUSY_TIMEOUT}
    if request.param == "postgresql":
        changes["database_url"] = request.getfixturevalue("postgres_url")
    return settings.model_copy(update=changes)


async def test_a_locked_database_answers_a_json_503_soon_and_nothing_is_lost(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    with locked(stack.settings, "campaign"):
        started = time.monotonic()
        r = await http.put("/v1/campaigns/expo-2026", json=CAMPAIGN, headers=stack.admin)
        waited = time.monotonic() - started
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == "database_unavailable"
    assert "busy or unreachable; retry" in r.json()["error"]["message"]
    assert int(r.headers["Retry-After"]) > 0
    assert waited < ANSWER_WITHIN
    r = await http.put("/v1/campaigns/expo-2026", json=CAMPAIGN, headers=stack.admin)
    assert r.status_code == 201, r.text  # the retry the 503 asked for


async def test_healthz_names_a_database_that_cannot_write(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    assert (await http.get("/healthz")).json()["checks"]["database"] == "ok"
    with locked(stack.settings, "service_heartbeat"):
        started = time.monotonic()
        r = await http.get("/healthz")
        waited = time.monotonic() - started
    assert r.status_code == 503
    assert r.json()["status"] == "degraded"
    checks = r.json()["checks"]
    assert checks["database"].startswith("cannot write: "), checks
    assert checks["api"] == "ok" and checks["temporal"] == "ok"
    assert waited < ANSWER_WITHIN
    r = await http.get("/healthz")
    assert r.status_code == 200 and r.json()["checks"]["database"] == "ok"


async def test_the_demo_rides_out_a_busy_database(
    stack: ApiServer, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """`nurture demo` on a loaded machine: a lead answered 503 is sent again after the
    Retry-After and stored once, not the demo's end (CI saw it stop at lead 11)."""
    api = Api(stack.base_url, stack.settings.admin_token.get_secret_value(), "unused")
    demo = DemoSession(http, api, seed=1, summary=Summary(campaigns=0))
    body = {"email": "busy@customer.example.com", "name": "Busy", "scenario": "whitepaper"}
    with caplog.at_level(logging.WARNING, logger="nurture.api.errors"):
        with locked(stack.settings, "lead"):
            sent = asyncio.create_task(
                demo.send("POST", f"{stack.base_url}/v1/leads", json=body, headers=stack.admin)
            )
            while "database unavailable" not in caplog.text:  # the first try answered 503
                assert not sent.done(), sent.result().text
                await asyncio.sleep(0.05)
        r = await sent
    assert r.status_code in (201, 202), r.text
    leads = (await http.get("/v1/leads", params={"q": "busy@"}, headers=stack.admin)).json()
    assert [lead["id"] for lead in leads["items"]] == [r.json()["id"]]
