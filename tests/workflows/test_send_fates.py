"""A mail reaches its lead once, or is shown as unknown: never sent twice, never silently lost.

The dangerous moment is between the relay's 250 and the outbox row saying `sent`: a worker
that dies there, or a database that refuses the write, must not make a retry send again.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import create_engine
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.delivery import Mail, OutboxDelivery, Outcome
from activities.read_model import ReadModelActivities
from nurture import mail
from nurture.db import session_scope
from nurture.models import SentRecord
from nurture.repo import emails
from nurture.settings import Settings
from nurture.tables import Lead
from tests.utils.factories import COLD_PROFILE, make_lead, notes, outbox, start_lead
from tests.utils.processes import cli, worker_process
from tests.utils.smtp_servers import Scripted, ScriptedServer
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow


class WriteLock:
    """Another process's write lock on the SQLite file (a backup, a stuck migration)."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.held = threading.Event()

    def hold(self, seconds: float | None = None) -> None:
        self._conn.execute("BEGIN EXCLUSIVE")
        self.held.set()
        if seconds is not None:
            threading.Timer(seconds, self.release).start()

    def release(self) -> None:
        if self.held.is_set():
            self._conn.execute("ROLLBACK")
            self.held.clear()


@pytest.fixture
def lock(settings: Settings, engine: Engine) -> Iterator[WriteLock]:
    held = WriteLock(settings.database_url.removeprefix("sqlite:///"))
    yield held
    held.release()


def impatient(settings: Settings) -> Engine:
    """An engine that gives up on a locked database after 0.3 s instead of 30."""
    return create_engine(
        settings.database_url, connect_args={"timeout": 0.3, "check_same_thread": False}
    )


def outbox_mail(engine: Engine, settings: Settings, lead: Lead) -> Mail:
    """A one-line mail with its outbox row, pending, as the send activity prepares it."""
    key = f"test:{uuid.uuid4()}"
    with session_scope(engine) as session:
        row = emails.claim(
            session,
            outbox_key=key,
            lead_id=lead.id,
            kind="nurture",
            message_id=mail.message_id_for(key, settings.mail_from),
            scheduled_at=datetime.now(UTC),
        )
        message_id = row.message_id
    rendered = mail.RenderedMail(subject="Hello", text="Hello", html="<p>Hello</p>")
    message = mail.build_message(
        settings=settings, to=lead.email, rendered=rendered, message_id=message_id
    )
    return Mail(key, lead.id, "test/hello", message, "Hello")


async def _until(check: Callable[[], object], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


async def _settled(handle: WorkflowHandle[LeadWorkflow, None], seconds: float = 90) -> None:
    """Until the lead has no activity pending (the send retried and finished)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not (await handle.describe()).raw_description.pending_activities:
            return
        await asyncio.sleep(0.3)
    raise AssertionError("the send never finished")


async def test_a_worker_killed_after_the_relays_250_never_sends_again(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    lock: WriteLock,
    tmp_path: Path,
) -> None:
    """The worker dies between the 250 and recording it: the retry does not know whether the
    relay took the mail, so it says so instead of sending a second copy."""
    handler = Scripted(on_accept=lock.hold)  # the record of the 250 cannot be written
    with ScriptedServer(handler) as server:
        conf = settings.model_copy(update={"smtp_port": server.port, "smtp_timeout_seconds": 2})
        lead = make_lead(engine, **COLD_PROFILE)
        with worker_process(dev_env, conf, tmp_path / "worker.log") as worker:
            handle = await start_lead(dev_env.client, conf, lead)
            assert await asyncio.to_thread(lock.held.wait, 60), (
                tmp_path / "worker.log"
            ).read_text()
            await _until(lambda: handler.accepted)
            await asyncio.sleep(0.5)  # the 250 is out; the worker waits on the lock
            assert [m.status for m in outbox(engine, lead.id)] == ["sending"]
            worker.kill()
            worker.wait(10)
        lock.release()
        async with running_worker(dev_env.client, conf, engine):
            await _settled(handle)
            status = await handle.query(LeadWorkflow.status)

    assert len(handler.accepted) == 1  # one copy, at the relay
    [row] = outbox(engine, lead.id)
    assert row.status == "uncertain" and row.attempts == 1
    [note] = notes(engine, lead.id, "mail_uncertain")
    assert note.startswith("whitepaper/thanks: fate unknown, not re-sent")
    assert row.message_id in note  # ops can look it up in the relay's log
    assert status.stage == "nurturing"

    # Ops see it, check the relay's log by Message-ID, and settle it.
    db = {"NURTURE_DATABASE_URL": settings.database_url}
    listed = cli("outbox", "--status", "uncertain", env=db)
    assert listed.returncode == 1, listed.stderr  # something needs attention
    assert "1 of unknown fate" in listed.stdout and row.message_id in listed.stdout
    settled = cli("outbox", "resolve", str(row.id), "--delivered", "--note", "in the log", env=db)
    assert settled.returncode == 0, settled.stderr
    assert [m.status for m in outbox(engine, lead.id)] == ["sent"]
    after = cli("outbox", env=db)
    assert after.returncode == 0 and after.stdout.startswith("mail: ok"), after.stdout


async def test_a_locked_database_after_the_250_retries_the_record_not_the_delivery(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, lock: WriteLock
) -> None:
    handler = Scripted(on_accept=lambda: lock.hold(seconds=3))  # 10× the busy timeout
    with ScriptedServer(handler) as server:
        conf = settings.model_copy(update={"smtp_port": server.port})
        lead = make_lead(engine, **COLD_PROFILE)
        worker_engine = impatient(conf)
        async with running_worker(dev_env.client, conf, worker_engine):
            handle = await start_lead(dev_env.client, conf, lead)
            await _until(lambda: [m for m in outbox(engine, lead.id) if m.status == "sent"])
            await _settled(handle)
        worker_engine.dispose()

    assert len(handler.accepted) == 1
    [row] = outbox(engine, lead.id)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None


async def test_a_250_the_activity_cannot_record_is_recorded_later_never_resent(
    settings: Settings, engine: Engine, lock: WriteLock
) -> None:
    """Past its retry window the send reports the mail delivered but unrecorded; the lead's
    workflow then records it with the read model's long retry."""
    handler = Scripted(on_accept=lambda: lock.hold(seconds=2))
    with ScriptedServer(handler) as server:
        conf = settings.model_copy(update={"smtp_port": server.port})
        lead = make_lead(engine, **COLD_PROFILE)
        item = outbox_mail(engine, conf, lead)
        worker_engine = impatient(conf)
        delivery = OutboxDelivery(worker_engine, conf, record_for_seconds=0.5)
        outcome = await delivery.send(item)
        worker_engine.dispose()
        assert outcome == Outcome.SENT_UNRECORDED
        assert [m.status for m in outbox(engine, lead.id)] == ["sending"]
        await _until(lambda: not lock.held.is_set())

        ReadModelActivities(engine).record_sent(
            SentRecord(outbox_key=item.outbox_key, at=datetime.now(UTC), subject="Hello")
        )
        again = await OutboxDelivery(engine, conf).send(item)

    assert again == Outcome.ALREADY_SENT
    assert len(handler.accepted) == 1
    assert [(m.status, m.subject) for m in outbox(engine, lead.id)] == [("sent", "Hello")]


async def test_two_attempts_alive_at_once_send_one_copy(settings: Settings, engine: Engine) -> None:
    """A retry that starts while the earlier attempt still runs (a late heartbeat under
    load): only one of them ever hands the message over; the other finds it sent."""
    handler = Scripted(on_accept=lambda: time.sleep(1.0))  # a relay slow to take DATA
    with ScriptedServer(handler) as server:
        conf = settings.model_copy(update={"smtp_port": server.port, "smtp_timeout_seconds": 5})
        lead = make_lead(engine, **COLD_PROFILE)
        item = outbox_mail(engine, conf, lead)
        outcomes = await asyncio.gather(
            OutboxDelivery(engine, conf).send(item), OutboxDelivery(engine, conf).send(item)
        )

    assert sorted(outcomes) == sorted([Outcome.SENT, Outcome.ALREADY_SENT])
    assert len(handler.accepted) == 1
    assert [(m.status, m.attempts) for m in outbox(engine, lead.id)] == [("sent", 1)]
