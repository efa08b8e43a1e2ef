"""The handoff notices (activities/email.py notify_rep) in the SDK's ActivityEnvironment, on
a real database and SMTP sink: the previous rep's "reassigned" mail names the new rep, and
a manager who is also a rep reads the escalation in their own language and zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from nurture.db import session_scope
from nurture.mailsink import MailSink, ReceivedMail
from nurture.models import (
    HandoffRecord,
    HandoffStatus,
    NoRepNoticeInput,
    NoticeKind,
    NotifyRepInput,
    SlaEventKind,
)
from nurture.repo import handoffs, reps
from nurture.settings import RepConfig, Settings
from tests.utils.factories import HOT_PROFILE, make_lead

AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 10:00 in Tokyo
REPS = [
    RepConfig(name="Rep One", email="rep.one@sales.example.com", manager="boss@sales.example.com"),
    RepConfig(name="Rep Two", email="rep.two@sales.example.com"),
    RepConfig(name="Sato Boss", email="boss@sales.example.com", language="ja"),
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sales_reps": REPS})


def _rep_id(engine: Engine, email: str) -> str:
    with session_scope(engine) as session:
        return str(reps.find_rep(session, email).id)


def handed_to_rep_one(engine: Engine) -> tuple[str, str]:
    """A lead handed to Rep One, as the handoff workflow records it; handoff and lead IDs."""
    lead = make_lead(engine, name="Kato Mei", company="Kato Seiki", **HOT_PROFILE)
    handoff_id = f"handoff-{lead.id}-1"
    with session_scope(engine) as session:
        handoffs.record(
            session,
            HandoffRecord(
                handoff_id=handoff_id,
                lead_id=str(lead.id),
                at=AT,
                event=SlaEventKind.ASSIGNED,
                status=HandoffStatus.PENDING,
                rep_id=_rep_id(engine, "rep.one@sales.example.com"),
                priority="normal",
                score=60,
                deadline=AT + timedelta(hours=9),
                assignment_reason="round-robin: next in turn of 3 available reps",
            ),
        )
    return handoff_id, str(lead.id)


async def _notify(engine: Engine, settings: Settings, notice: NotifyRepInput) -> None:
    await ActivityEnvironment().run(EmailActivities(engine, settings).notify_rep, notice)


def _mail_to(smtp: MailSink, address: str) -> ReceivedMail:
    return next(m for m in smtp.messages if m.to == address)


async def test_the_previous_rep_is_told_who_has_the_lead_now(
    engine: Engine, settings: Settings, smtp: MailSink
) -> None:
    handoff_id, lead_id = handed_to_rep_one(engine)
    rep_two = _rep_id(engine, "rep.two@sales.example.com")
    with session_scope(engine) as session:  # the manager moved it, as the workflow records
        handoffs.record(
            session,
            HandoffRecord(
                handoff_id=handoff_id,
                lead_id=lead_id,
                at=AT + timedelta(minutes=30),
                event=SlaEventKind.REASSIGNED,
                status=HandoffStatus.PENDING,
                rep_id=rep_two,
                priority="normal",
                score=60,
                reassignments=1,
                assignment_reason="reassigned by the manager",
            ),
        )
    rep_one = _rep_id(engine, "rep.one@sales.example.com")
    notice = NotifyRepInput(
        handoff_id=handoff_id, rep_id=rep_one, kind=NoticeKind.REASSIGNED, at=AT, attempt=2
    )
    await _notify(engine, settings, notice)
    await smtp.received(1)
    mail = _mail_to(smtp, "rep.one@sales.example.com")
    assert mail.subject == "Reassigned: Kato Mei (Kato Seiki) is now with Rep Two"
    text = mail.text()
    assert "Kato Mei (Kato Seiki) was reassigned to Rep Two by your manager." in text
    assert "nothing more to do for you" in text and "http" not in text  # no links to act


async def test_a_manager_who_is_a_rep_reads_the_escalation_in_their_language(
    engine: Engine, settings: Settings, smtp: MailSink
) -> None:
    handoff_id, _ = handed_to_rep_one(engine)
    notice = NotifyRepInput(
        handoff_id=handoff_id,
        rep_id=_rep_id(engine, "rep.one@sales.example.com"),
        kind=NoticeKind.MANAGER,
        at=AT + timedelta(hours=10),
        deadline=AT + timedelta(hours=9),
    )
    await _notify(engine, settings, notice)
    await smtp.received(1)
    mail = _mail_to(smtp, "boss@sales.example.com")
    assert mail.subject == "SLA エスカレーション: Rep One さんが Kato Seiki を受領していません"
    text = mail.text()
    assert "受領期限は 12月1日(火) 19:00 JST でしたが、まだ受領されていません" in text, text
    assert "優先度「通常」" in text and "Hello" not in text


async def test_every_manager_is_told_of_a_lead_nobody_can_take_without_the_others_addresses(
    engine: Engine, settings: Settings, smtp: MailSink
) -> None:
    handoff_id, lead_id = handed_to_rep_one(engine)
    with session_scope(engine) as session:  # a second team with its own manager
        reps.add_rep(
            session,
            name="Rep Four",
            email="rep.four@sales.example.com",
            manager_email="chief@sales.example.com",
        )
    notice = NoRepNoticeInput(handoff_id=handoff_id, lead_id=lead_id, at=AT)
    await ActivityEnvironment().run(EmailActivities(engine, settings).notify_no_rep, notice)
    [mail] = await smtp.received(1)
    assert sorted(mail.envelope_to) == ["boss@sales.example.com", "chief@sales.example.com"]
    assert "boss@" not in str(mail.message) and "chief@" not in str(mail.message)
    assert mail.subject.startswith("No sales rep can take Kato Mei (Kato Seiki)")
    # Asked again (a retry), it is not sent twice.
    await ActivityEnvironment().run(EmailActivities(engine, settings).notify_no_rep, notice)
    assert len(smtp.messages) == 1
