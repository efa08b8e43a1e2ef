"""Relay and configuration mistakes hold mail until they are fixed; nothing is lost for good.

Only a refused recipient bounces a lead. A wrong password, a refused sender, an outage or
an untrusted certificate is ours: the mail waits, retried with backoff, the timeline says
why in words an operator can act on, and it goes out once the mistake is fixed.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import trustme
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import free_port
from nurture.settings import Settings
from tests.utils.factories import (
    COLD_PROFILE,
    load,
    make_lead,
    notes,
    outbox,
    sent_mails,
    start_lead,
)
from tests.utils.smtp_servers import Login, Scripted, ScriptedServer
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow

HOUR = timedelta(hours=1)


def _via(settings: Settings, port: int, **more: object) -> Settings:
    if isinstance(more.get("smtp_password"), str):
        more["smtp_password"] = SecretStr(str(more["smtp_password"]))
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, **more})


async def _skip(env: WorkflowEnvironment, span: timedelta, until: object = None) -> None:
    """Let `span` pass on the time-skipping server in steps, so retries come due."""
    steps = max(1, int(span / timedelta(minutes=10)))
    for _ in range(steps):
        await env.sleep(span / steps)
        if callable(until) and until():
            return


async def _until(check: Callable[[], object], seconds: float = 60) -> None:
    """On the real dev server: wait (real time, retries back off from 5 s) until `check()`."""
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


async def test_a_wrong_password_holds_mail_until_it_is_fixed(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    """The operator fixes NURTURE_SMTP_PASSWORD and restarts the worker: the mail goes."""
    login = Login("nurture", "right")
    handler = Scripted()
    with ScriptedServer(handler, login=login) as server:
        wrong = _via(settings, server.port, smtp_username="nurture", smtp_password="wrong")
        lead = make_lead(engine, **COLD_PROFILE)
        async with running_worker(dev_env.client, wrong, engine):
            handle = await start_lead(dev_env.client, wrong, lead)
            await _until(lambda: login.attempts >= 2)  # held, and retried
            status = await handle.query(LeadWorkflow.status)
            pending = (await handle.describe()).raw_description.pending_activities
        # What ops see on the retrying send (`temporal workflow describe`, the UI): the cause.
        [send] = pending
        assert "refused our login (535" in send.last_failure.message, send.last_failure.message
        assert send.last_failure.ByteSize() < 1024, send.last_failure.ByteSize()
        [held] = outbox(engine, lead.id)
        assert held.status == "held" and handler.accepted == []
        assert "refused our login (535" in held.last_error
        assert "NURTURE_SMTP_PASSWORD" in held.last_error
        assert status.stage == "nurturing" and load(engine, lead.id).bounced_at is None
        [note] = notes(engine, lead.id, "mail_held")  # said once, not once per retry
        assert note.startswith("whitepaper/thanks held: the relay 127.0.0.1:") and "535" in note

        right = _via(settings, server.port, smtp_username="nurture", smtp_password="right")
        async with running_worker(dev_env.client, right, engine):  # the operator fixed it
            await _until(lambda: sent_mails(engine, lead.id))

    assert len(handler.accepted) == 1
    assert handler.accepted[0]["Subject"] == "Thank you for downloading our whitepaper"
    [sent] = outbox(engine, lead.id)
    assert sent.status == "sent" and sent.last_error == "" and sent.held_since is None


async def test_a_refused_sender_is_our_fault_and_bounces_no_lead(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    handler = Scripted(mail_replies=["550 5.7.1 relaying denied"] * 4)
    with ScriptedServer(handler) as server:
        conf = _via(settings, server.port)
        lead = make_lead(engine, **COLD_PROFILE)
        async with running_worker(ts_env.client, conf, engine):
            handle = await start_lead(ts_env.client, conf, lead)
            await _skip(ts_env, 2 * HOUR, until=lambda: handler.accepted)
            status = await handle.query(LeadWorkflow.status)

    assert handler.mail_attempts == 5 and len(handler.accepted) == 1
    assert status.stage == "nurturing"  # the lead is fine; our relay setup was not
    assert load(engine, lead.id).bounced_at is None
    [note] = notes(engine, lead.id, "mail_held")
    assert "refused our sender (550 5.7.1 relaying denied)" in note
    assert "NURTURE_MAIL_FROM" in note
    assert [m.step for m in sent_mails(engine, lead.id)] == ["thanks"]


async def test_a_long_outage_holds_mail_and_it_goes_when_the_relay_is_back(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    port = free_port()  # nothing listens here for six hours
    conf = _via(settings, port)
    lead = make_lead(engine, **COLD_PROFILE)
    handler = Scripted()
    async with running_worker(ts_env.client, conf, engine):
        await start_lead(ts_env.client, conf, lead)
        await _skip(ts_env, 6 * HOUR)
        [held] = outbox(engine, lead.id)
        assert held.status == "held"
        assert f"cannot connect to the relay 127.0.0.1:{port} (refused)" in held.last_error
        with ScriptedServer(handler, port=port):
            await _skip(ts_env, HOUR, until=lambda: handler.accepted)

    assert len(handler.accepted) == 1
    assert [m.status for m in outbox(engine, lead.id)] == ["sent"]


async def test_mail_held_past_the_hold_is_given_up_visibly(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    conf = _via(settings, free_port(), smtp_hold_days=0.5)
    lead = make_lead(engine, **COLD_PROFILE)
    async with running_worker(ts_env.client, conf, engine):
        handle = await start_lead(ts_env.client, conf, lead)
        await _skip(ts_env, 14 * HOUR)
        status = await handle.query(LeadWorkflow.status)

    [failed] = outbox(engine, lead.id)
    assert failed.status == "failed"
    assert failed.last_error.startswith("given up after 12 hours of retries: cannot connect")
    [gave_up] = notes(engine, lead.id, "send_failed")
    assert gave_up.startswith("whitepaper/thanks not sent: given up after 12 hours")
    assert status.stage == "nurturing"  # the scenario goes on; the next step may well arrive
    failures = [
        e.activity_task_failed_event_attributes.failure
        async for e in handle.fetch_history_events()
        if e.HasField("activity_task_failed_event_attributes")
    ]
    [failure] = failures  # ops reading history in the UI see the real cause, in full
    assert failure.message.startswith("given up after 12 hours of retries: cannot connect")
    assert failure.application_failure_info.type == "SmtpGaveUp"
    assert failure.ByteSize() < 1024  # the server replaces large failures by a placeholder


@pytest.fixture(scope="module")
def relay_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(relay_ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "relay-ca.pem"
    relay_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def tls_relay(relay_ca: trustme.CA) -> Iterator[tuple[Scripted, ScriptedServer]]:
    """A relay that offers STARTTLS with a certificate from a private CA, and AUTH only
    after STARTTLS, as most submission relays do."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    relay_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    handler = Scripted()
    login = Login("nurture", "s3cret")
    with ScriptedServer(handler, tls=context, login=login, auth_require_tls=True) as server:
        yield handler, server


async def test_a_private_relay_certificate_is_trusted_with_the_ca_file(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    tls_relay: tuple[Scripted, ScriptedServer],
    ca_file: Path,
) -> None:
    handler, server = tls_relay
    login = {"smtp_username": "nurture", "smtp_password": "s3cret"}
    untrusted = _via(settings, server.port, smtp_starttls=True, **login)
    lead = make_lead(engine, **COLD_PROFILE)
    async with running_worker(dev_env.client, untrusted, engine):
        await start_lead(dev_env.client, untrusted, lead)
        await _until(lambda: [m for m in outbox(engine, lead.id) if m.status == "held"])
    [held] = outbox(engine, lead.id)
    assert held.status == "held" and handler.accepted == []
    assert "TLS certificate verify failed" in held.last_error
    assert "NURTURE_SMTP_CA_FILE" in held.last_error

    trusted = untrusted.model_copy(update={"smtp_ca_file": str(ca_file)})
    async with running_worker(dev_env.client, trusted, engine):
        await _until(lambda: sent_mails(engine, lead.id))
    assert len(handler.accepted) == 1
    assert [m.status for m in outbox(engine, lead.id)] == ["sent"]


async def test_auth_offered_only_after_starttls_is_named_as_the_cause(
    ts_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    tls_relay: tuple[Scripted, ScriptedServer],
) -> None:
    _, server = tls_relay
    plain = _via(settings, server.port, smtp_username="nurture", smtp_password="s3cret")
    lead = make_lead(engine, **COLD_PROFILE)
    async with running_worker(ts_env.client, plain, engine):
        await start_lead(ts_env.client, plain, lead)
        await _skip(ts_env, HOUR)
    [held] = outbox(engine, lead.id)
    assert held.status == "held"
    assert "offers no AUTH" in held.last_error
    assert "NURTURE_SMTP_STARTTLS=true" in held.last_error
