"""`nurture replay`: today's code against recorded and live histories, as a user runs it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

import scenarios
from nurture.authoring.runtime import Lead
from nurture.authoring.scenario_spec import Scenario
from nurture.settings import Settings
from tests.utils.factories import COLD_PROFILE, make_lead, start_lead
from tests.utils.processes import cli as run
from tests.utils.stack import running_worker

HISTORIES = Path(__file__).parent.parent / "histories"


def test_the_stored_histories_replay() -> None:
    result = run("replay", str(HISTORIES))
    stored = len(list(HISTORIES.glob("*.json")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"replayed {stored} histories: {stored} ok, 0 failed" in result.stdout
    assert "ok   whitepaper-quiet (LeadWorkflow" in result.stdout


async def test_a_non_deterministic_change_is_caught(
    ts_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A history written by yesterday's whitepaper, which waited an hour before its first
    mail: today's code sends first, so replaying it must fail, naming the lead."""

    async def yesterday(lead: Lead) -> None:
        await lead.wait(hours=1)
        await lead.send("thanks")

    monkeypatch.setitem(scenarios.SCENARIOS, "whitepaper", Scenario("whitepaper", yesterday))
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, make_lead(engine, **COLD_PROFILE))
        await ts_env.sleep(timedelta(hours=2))
        history = await handle.fetch_history()
    (tmp_path / "yesterday.json").write_text(history.to_json())

    result = run("replay", str(tmp_path / "yesterday.json"), str(HISTORIES / "whitepaper-won.json"))

    assert result.returncode == 1
    assert "FAIL yesterday (LeadWorkflow" in result.stdout
    assert "Nondeterminism" in result.stdout
    assert "ok   whitepaper-won" in result.stdout
    assert "replayed 2 histories: 1 ok, 1 failed" in result.stdout


async def test_histories_from_the_server(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    async with running_worker(dev_env.client, settings, engine):
        handle = await start_lead(dev_env.client, settings, make_lead(engine, **COLD_PROFILE))
        for _ in range(100):  # visibility is eventually consistent
            listed = [w async for w in dev_env.client.list_workflows(f"WorkflowId='{handle.id}'")]
            if listed:
                break
            await asyncio.sleep(0.1)
        server = {"NURTURE_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host}
        by_id = await asyncio.to_thread(run, "replay", "--workflow-id", handle.id, env=server)
        by_query = await asyncio.to_thread(
            run,
            "replay",
            "--query",
            f"WorkflowId='{handle.id}'",
            "--save",
            str(tmp_path),
            env=server,
        )

    assert by_id.returncode == 0 and f"ok   {handle.id} (LeadWorkflow" in by_id.stdout
    assert by_query.returncode == 0 and "replayed 1 histories: 1 ok" in by_query.stdout
    assert (tmp_path / f"{handle.id}.json").exists()  # ready to keep under tests/histories


def test_bad_input_is_a_readable_error(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text('{"hello": "world"}')
    result = run("replay", str(tmp_path / "notes.json"))
    assert result.returncode == 2 and "not a workflow history" in result.stderr
    result = run("replay", str(tmp_path / "missing"))
    assert result.returncode == 2 and "no such file or directory" in result.stderr
    unreachable = {"NURTURE_TEMPORAL_ADDRESS": "127.0.0.1:1"}
    result = run("replay", "--workflow-id", "lead-x", env=unreachable)
    assert result.returncode == 2 and "127.0.0.1:1" in result.stderr
