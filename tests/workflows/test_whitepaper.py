"""The whitepaper scenario on the time-skipping server: mails at day 1, 3 and 7."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink
from nurture.settings import Settings
from tests.utils.factories import (
    COLD_PROFILE,
    HOT_PROFILE,
    event,
    make_lead,
    sent_mails,
    stages,
    start_lead,
)
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow

DAY = timedelta(days=1)


async def test_quiet_lead_gets_thanks_case_studies_and_hearing(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, **COLD_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        started = (await handle.describe()).start_time
        await ts_env.sleep(DAY * 10)
        mails = sent_mails(engine, lead.id)

    assert [m.step for m in mails] == ["thanks", "case-studies", "hearing"]
    offsets = [m.scheduled_at - started for m in mails]
    assert offsets[0] < timedelta(minutes=1)
    assert DAY * 2 <= offsets[1] < DAY * 2 + timedelta(minutes=1)
    assert DAY * 6 <= offsets[2] < DAY * 6 + timedelta(minutes=1)
    received = await smtp.received(3)
    assert [m.to for m in received] == [lead.email] * 3
    assert received[0].subject == "Thank you for downloading our whitepaper"
    assert "Yamada Hanako" in received[0].text() and "Acme KK" in received[0].html()
    assert "Anything else troubling you" in received[2].subject
    assert stages(engine, lead.id) == ["nurturing"]


async def test_engaged_lead_gets_the_demo_offer_on_day_7(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, **COLD_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        started = (await handle.describe()).start_time
        await ts_env.sleep(DAY * 4)
        await handle.signal(LeadWorkflow.behaviour, event("case_study_download"))
        await ts_env.sleep(DAY * 6)
        mails = sent_mails(engine, lead.id)

    assert [m.step for m in mails] == ["thanks", "case-studies", "demo-offer"]
    assert DAY * 6 <= mails[2].scheduled_at - started < DAY * 6 + timedelta(minutes=1)
    assert "shall we show you" in (await smtp.received(3))[2].subject


async def test_crossing_the_threshold_stops_the_scenario_and_hands_off(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, **HOT_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, lead)
        await ts_env.sleep(DAY)
        await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
        await ts_env.sleep(DAY + timedelta(hours=1))  # past the day 3 send time
        status = await handle.query(LeadWorkflow.status)
        mails = sent_mails(engine, lead.id)
        rep_mails = sent_mails(engine, lead.id, kind="rep")

    assert [m.step for m in mails] == ["thanks"]  # no day 3 / day 7 mail after MQL
    # the lead's own stage is mql; the handoff wrote the sales stage to the read model
    assert status.score == 60 and status.stage == "mql" and status.with_sales
    assert stages(engine, lead.id) == ["nurturing", "mql", "sales_pending"]
    assert rep_mails[0].outbox_key.endswith(":1:assigned")
    received = await smtp.received(2)
    notice = received[1]
    assert notice.to == "rep.one@sales.example.com"
    assert "score 60" in notice.subject
    body = notice.text()
    assert lead.email in body and "Acme KK" in body
    assert "+20  Job title: decision maker" in body
    assert "+15  Pricing page view" in body


async def test_a_japanese_lead_gets_japanese_mail(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    lead = make_lead(engine, attributes={"language": "ja"}, **COLD_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        await start_lead(ts_env.client, settings, lead)
        await ts_env.sleep(timedelta(hours=1))
        received = await smtp.received(1)

    mail = received[0]
    assert mail.subject == "「ホワイトペーパー」をダウンロードいただきありがとうございます"
    assert (
        "Acme KK\r\nYamada Hanako 様" in mail.text() or "Acme KK\nYamada Hanako 様" in mail.text()
    )
    assert mail.message["List-Unsubscribe"].startswith("<http://nurture.test/u/")
    assert "配信停止" in mail.text()
