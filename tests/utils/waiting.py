"""A lead nobody can take (every rep disabled), and the `nurture` command an operator runs
to make a rep available: shared by the tests of waiting for a rep."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.client import Client

from nurture.db import session_scope
from nurture.settings import Settings
from nurture.tables import Rep
from tests.utils.api import lead_when, post_events
from tests.utils.stack import ApiServer

WAITING = "waiting for a sales rep"


def disable_every_rep(engine: Engine) -> None:
    with session_scope(engine) as session:
        for rep in session.exec(select(Rep)).all():
            rep.active = False
            session.add(rep)


def notes(lead: dict[str, Any]) -> list[str]:
    """The texts of the lead's timeline."""
    return [item["text"] for item in lead["timeline"]]


async def a_lead_waiting_for_a_rep(
    http: httpx.AsyncClient, api: ApiServer, email: str, timeout: float = 30
) -> tuple[str, dict[str, Any]]:
    """A hot lead handed over while nobody can take it; its ID and state once its timeline
    says it waits."""
    body = {
        "email": email,
        "name": "Ono Ren",
        "company": "Ono Kogyo",
        "scenario": "whitepaper",
        "job_title": "CTO",
        "industry": "Manufacturing",
        "company_size": 300,
    }
    lead_id = (await http.post("/v1/leads", json=body, headers=api.admin)).json()["id"]
    event = {"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}
    assert (await post_events(http, api, event)).status_code == 202
    lead = await lead_when(
        http, api, lead_id, lambda s: any(WAITING in t for t in notes(s)), timeout
    )
    return lead_id, lead


def run_nurture(settings: Settings, client: Client, *args: str) -> subprocess.CompletedProcess[str]:
    """The `nurture` command, as an operator runs it against this stack."""
    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": settings.database_url,
        "NURTURE_TEMPORAL_ADDRESS": client.service_client.config.target_host,
    }
    return subprocess.run(
        [sys.executable, "-m", "nurture", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
