"""Send windows and the frequency cap on the time-skipping server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

import scenarios
from nurture.authoring.runtime import Lead
from nurture.authoring.scenario_spec import Scenario
from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.models import EnrolRequest
from nurture.orchestration.lead_runs import profile_of
from nurture.settings import Settings
from nurture.tables import TimelineNote
from tests.utils.clock import TOKYO, skip_to
from tests.utils.factories import (
    COLD_PROFILE,
    HOT_PROFILE,
    event,
    make_lead,
    sent_mails,
    start_lead,
)
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow


def _notes(engine: Engine, lead_id: object) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(TimelineNote)
            .where(TimelineNote.lead_id == lead_id)
            .order_by(col(TimelineNote.id))
        ).all()
    return [r.text for r in rows if r.kind == "deferred"]


@pytest.mark.parametrize(("weekday", "hour"), [(2, 22), (4, 20)])  # Wednesday night, Friday night
async def test_marketing_mail_waits_for_business_hours(
    ts_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    smtp: MailSink,
    weekday: int,
    hour: int,
) -> None:
    windowed = settings.model_copy(update={"send_window": True})
    start = await skip_to(ts_env, weekday, hour)
    lead = make_lead(engine, timezone="Asia/Tokyo", **COLD_PROFILE)
    async with running_worker(ts_env.client, windowed, engine):
        await start_lead(ts_env.client, windowed, lead)
        await ts_env.sleep(timedelta(days=4))
        mails = sent_mails(engine, lead.id)

    sent = mails[0].scheduled_at.astimezone(TOKYO.zone)
    assert (sent.hour, sent.minute) == (9, 0)
    expected = {2: 1, 4: 3}[weekday]  # Wednesday night: Thursday; Friday night: Monday
    assert sent.date() == start.date() + timedelta(days=expected)
    assert "outside the lead's business hours" in _notes(engine, lead.id)[0]


async def test_the_frequency_cap_defers_the_fourth_mail_of_a_week(
    ts_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    smtp: MailSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def burst(lead: Lead) -> None:
        for step in ("thanks", "case-studies", "demo-offer", "hearing"):
            await lead.send(step)

    monkeypatch.setitem(scenarios.SCENARIOS, "whitepaper", Scenario("whitepaper", burst))
    lead = make_lead(engine, **COLD_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        started = (await handle.describe()).start_time
        await ts_env.sleep(timedelta(days=10))
        mails = sent_mails(engine, lead.id)

    offsets = [m.scheduled_at - started for m in mails]
    assert [m.step for m in mails] == ["thanks", "case-studies", "demo-offer", "hearing"]
    assert all(o < timedelta(minutes=1) for o in offsets[:3])
    assert timedelta(days=7) <= offsets[3] < timedelta(days=7, minutes=1)
    assert "frequency cap (3 in 7 days)" in _notes(engine, lead.id)[0]


async def test_mail_to_reps_ignores_windows_caps_and_unsubscribes(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    """A lead qualifying on a Saturday night gets its rep told at once, though its own
    mail would wait for Monday; after it unsubscribes, the rep's reminders still go out."""
    windowed = settings.model_copy(update={"send_window": True})
    start = await skip_to(ts_env, 5, 22)  # Saturday, 22:00 Tokyo
    lead = make_lead(engine, timezone="Asia/Tokyo", **HOT_PROFILE)
    async with running_worker(ts_env.client, windowed, engine):
        handle = await start_lead(ts_env.client, windowed, lead)
        await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
        await ts_env.sleep(timedelta(minutes=5))
        notified = sent_mails(engine, lead.id, kind="rep")
        await handle.signal(LeadWorkflow.unsubscribe)
        await ts_env.sleep(timedelta(days=4))  # past Monday's deadline: the ladder runs
        rep_mails = sent_mails(engine, lead.id, kind="rep")
        marketing = sent_mails(engine, lead.id)

    assert len(notified) == 1 and notified[0].scheduled_at - start < timedelta(minutes=5)
    assert marketing == []  # it qualified before its thank-you could go out on Monday
    deferred, dropped = _notes(engine, lead.id)  # the timeline does not leave it "deferred"
    assert "whitepaper/thanks deferred to" in deferred
    assert dropped == "whitepaper/thanks not sent: the lead qualified and went to sales first"
    assert [m.outbox_key.rsplit(":", 1)[-1] for m in rep_mails][:2] == ["assigned", "reminder"]


async def test_a_deferred_mail_does_not_hold_back_a_re_enrolment(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    """At night the thank-you waits for the morning; a webinar sign-up meanwhile enters the
    webinar series at once, and the whitepaper's waiting mail is never sent."""
    windowed = settings.model_copy(update={"send_window": True})
    await skip_to(ts_env, 2, 22)  # Wednesday, 22:00 Tokyo
    lead = make_lead(engine, timezone="Asia/Tokyo", **COLD_PROFILE)
    async with running_worker(ts_env.client, windowed, engine):
        handle = await start_lead(ts_env.client, windowed, lead)
        await ts_env.sleep(timedelta(minutes=5))
        request = EnrolRequest(profile=profile_of(lead), scenario="webinar")
        answer = await asyncio.wait_for(handle.execute_update(LeadWorkflow.enrol, request), 10)
        await ts_env.sleep(timedelta(days=2))
        mails = sent_mails(engine, lead.id)

    assert answer.enrolment == "enrolled in webinar" and answer.scenario == "webinar"
    assert [(m.scenario, m.step) for m in mails] == [("webinar", "missed-recording")]
