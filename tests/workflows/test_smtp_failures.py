"""SMTP failures against real servers: retried, bounced, and never a second copy."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.settings import Settings
from tests.utils.factories import COLD_PROFILE, load, make_lead, sent_mails, stages, start_lead
from tests.utils.smtp_servers import Scripted, ScriptedServer
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow


def _via(settings: Settings, server: ScriptedServer) -> Settings:
    return settings.model_copy(update={"smtp_port": server.port})


async def test_temporary_failures_are_retried_and_one_mail_arrives(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    handler = Scripted(rcpt_replies=["451 4.3.0 try again later", "421 4.7.0 busy"])
    with ScriptedServer(handler) as server:
        conf = _via(settings, server)
        lead = make_lead(engine, **COLD_PROFILE)
        async with running_worker(ts_env.client, conf, engine):
            handle = await start_lead(ts_env.client, conf, lead)
            for _ in range(60):
                await ts_env.sleep(timedelta(seconds=30))  # skips the retry backoff
                if handler.accepted:
                    break
            status = await handle.query(LeadWorkflow.status)

    assert handler.rcpt_attempts == 3 and len(handler.accepted) == 1
    assert handler.accepted[0]["Subject"] == "Thank you for downloading our whitepaper"
    assert [m.step for m in sent_mails(engine, lead.id)] == ["thanks"]
    assert status.stage == "nurturing"


async def test_no_such_mailbox_bounces_the_lead_and_stops_its_mail(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    handler = Scripted(rcpt_replies=["550 5.1.1 no such mailbox"] * 10)
    with ScriptedServer(handler) as server:
        conf = _via(settings, server)
        lead = make_lead(engine, **COLD_PROFILE)
        async with running_worker(ts_env.client, conf, engine):
            handle = await start_lead(ts_env.client, conf, lead)
            await ts_env.sleep(timedelta(days=10))
            status = await handle.query(LeadWorkflow.status)
            described = await handle.describe()

    assert handler.rcpt_attempts == 1  # a permanent failure is not retried
    assert status.stage == "bounced"
    assert described.status is not None and described.status.name == "RUNNING"  # not failed
    assert stages(engine, lead.id) == ["nurturing", "bounced"]
    assert load(engine, lead.id).bounced_at is not None
    assert sent_mails(engine, lead.id) == []  # no day 3 / day 7 attempt either


async def test_worker_killed_after_the_server_accepted_does_not_send_again(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    handler = Scripted(stall_quit=True)
    with ScriptedServer(handler) as server:
        conf = _via(settings, server)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("NURTURE_")},
            "NURTURE_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
            "NURTURE_TASK_QUEUE": conf.task_queue,
            "NURTURE_DATABASE_URL": conf.database_url,
            "NURTURE_SMTP_HOST": "127.0.0.1",
            "NURTURE_SMTP_PORT": str(server.port),
            "NURTURE_PUBLIC_URL": conf.public_url,
            "NURTURE_SEND_WINDOW": "false",
        }
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "nurture"), "worker"],
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            lead = make_lead(engine, **COLD_PROFILE)
            handle = await start_lead(dev_env.client, conf, lead)
            seen = await asyncio.to_thread(handler.quit_seen.wait, 60)
            assert seen, (tmp_path / "worker.log").read_text()
            worker.send_signal(signal.SIGKILL)  # accepted and recorded, activity not completed
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        handler.release.set()
        assert [m.step for m in sent_mails(engine, lead.id)] == ["thanks"]

        async with running_worker(dev_env.client, conf, engine):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # the retry runs once the heartbeat times out
                pending = (await handle.describe()).raw_description.pending_activities
                if not pending:
                    break
                await asyncio.sleep(0.5)
            assert not pending, "the send was never retried"

    assert len(handler.accepted) == 1  # the retry found the send recorded and did not resend
    events = [e async for e in handle.fetch_history_events()]
    attempts = [
        e.activity_task_started_event_attributes.attempt
        for e in events
        if e.HasField("activity_task_started_event_attributes")
    ]
    assert max(attempts) >= 2  # it really was retried
