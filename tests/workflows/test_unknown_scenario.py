"""A lead enrolled in a scenario its worker does not know yet (the API was deployed first)
waits for a worker that does, instead of writing a decision later code would replay
differently."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

import scenarios
from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.settings import Settings
from nurture.tables import StageChange
from tests.utils.factories import COLD_PROFILE, make_lead, start_lead
from tests.utils.stack import running_worker
from workflows.registry import WORKFLOWS, workflow_runner


def _failed_tasks(history: WorkflowHistory) -> list[str]:
    return [
        e.workflow_task_failed_event_attributes.failure.message
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


def _timeline(engine: Engine, lead_id: uuid.UUID) -> list[tuple[str | None, str]]:
    with session_scope(engine) as session:
        rows = session.exec(select(StageChange).where(StageChange.lead_id == lead_id)).all()
        return [(r.from_stage, r.to_stage) for r in rows]


async def test_an_unknown_scenario_waits_for_a_worker_that_knows_it(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    smtp: MailSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whitepaper = scenarios.SCENARIOS["whitepaper"]
    monkeypatch.delitem(scenarios.SCENARIOS, "whitepaper")  # this worker predates it
    lead = make_lead(engine, scenario="whitepaper", **COLD_PROFILE)
    async with running_worker(dev_env.client, settings, engine):
        handle = await start_lead(dev_env.client, settings, lead)
        failures: list[str] = []
        for _ in range(300):  # the first workflow task fails at once
            failures = _failed_tasks(await handle.fetch_history())
            if failures:
                break
            await asyncio.sleep(0.1)
        assert failures, "the workflow task never failed"
        assert "knows no scenario named 'whitepaper'" in failures[0]
        assert "deploy the workers too" in failures[0]
        assert smtp.messages == []  # nothing was sent, nothing noted
        for _ in range(100):  # let Temporal retry the task a few times
            if len(_failed_tasks(await handle.fetch_history())) >= 3:
                break
            await asyncio.sleep(0.1)
        assert _timeline(engine, lead.id) == []  # the retries wrote nothing twice, nor once

        # The new code arrives: the next attempt of the same task runs the scenario.
        monkeypatch.setitem(scenarios.SCENARIOS, "whitepaper", whitepaper)
        for _ in range(1200):  # attempts back off: up to about two minutes here
            if smtp.messages:
                break
            await asyncio.sleep(0.1)
        assert len(smtp.messages) == 1, "the lead never ran its scenario"
        history = await handle.fetch_history()

    assert b"scenario_missing" not in history.to_json().encode()
    assert _timeline(engine, lead.id) == [("new", "nurturing")]  # enrolled once
    # What the lead did replays on the code that knows the scenario.
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    await replayer.replay_workflow(history)
