"""The webinar scenario: attendees get thanks, follow-up and an offer; no-shows the recording."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink
from nurture.settings import Settings
from tests.utils.factories import (
    COLD_PROFILE,
    event,
    link_targets,
    make_lead,
    sent_mails,
    start_lead,
)
from tests.utils.stack import SITE_URL, running_worker
from workflows.lead import LeadWorkflow

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


async def test_attendee_gets_same_day_thanks_followup_on_questions_and_an_offer(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(
        engine,
        scenario="webinar",
        attributes={"webinar_title": "DX for factories"},
        **COLD_PROFILE,
    )
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        started = (await handle.describe()).start_time
        await ts_env.sleep(timedelta(hours=3))
        await handle.signal(LeadWorkflow.behaviour, event("webinar_attended"))
        await handle.signal(
            LeadWorkflow.behaviour,
            event("webinar_question", question="How long does a rollout take?"),
        )
        await handle.signal(LeadWorkflow.behaviour, event("survey_high_interest"))
        await ts_env.sleep(DAY * 10)
        status = await handle.query(LeadWorkflow.status)
        mails = sent_mails(engine, lead.id)

    assert [m.step for m in mails] == [
        "thanks-recording",
        "questions-followup",
        "consultation-offer",
    ]
    offsets = [m.scheduled_at - started for m in mails]
    assert timedelta(hours=3) <= offsets[0] < timedelta(hours=3) + MINUTE  # same day
    assert DAY * 2 <= offsets[1] - offsets[0] < DAY * 2 + MINUTE  # within 2 days
    assert DAY * 7 <= offsets[2] - offsets[0] < DAY * 7 + MINUTE  # within a week
    # A question and high survey interest score on top of attendance.
    assert status.breakdown["webinar_attended"] == 20
    assert status.breakdown["webinar_question"] == 10
    assert status.breakdown["survey_high_interest"] == 15
    received = await smtp.received(3)
    assert "DX for factories" in received[0].subject
    assert "How long does a rollout take?" in received[1].text()


async def test_no_show_gets_the_recording_and_the_next_session(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, scenario="webinar", **COLD_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        started = (await handle.describe()).start_time
        await ts_env.sleep(DAY * 10)
        mails = sent_mails(engine, lead.id)

    assert [m.step for m in mails] == ["missed-recording"]
    grace = timedelta(hours=3)  # attendance reports may come late
    assert DAY + grace <= mails[0].scheduled_at - started < DAY + grace + MINUTE
    received = await smtp.received(1)
    assert "here is the recording" in received[0].subject
    next_session = (
        f"{SITE_URL}/webinars/next?utm_source=nurture&utm_medium=email&utm_campaign=wp-2026"
        "&utm_content=webinar%2Fmissed-recording"  # the lead's source, as the site reads it
    )
    assert next_session in link_targets(received[0].text(), settings)


async def test_session_end_comes_from_the_lead_attributes(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    # Registered three days ahead: attendance is awaited until the session ends.
    ends = await ts_env.get_current_time() + DAY * 3
    lead = make_lead(
        engine, scenario="webinar", attributes={"webinar_ends_at": ends.isoformat()}, **COLD_PROFILE
    )
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        await ts_env.sleep(DAY * 2)
        await handle.signal(LeadWorkflow.behaviour, event("webinar_attended"))
        await ts_env.sleep(DAY)
        mails = sent_mails(engine, lead.id)

    assert [m.step for m in mails] == ["thanks-recording"]
