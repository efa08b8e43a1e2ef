"""Email KPIs per step on a hand-built history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nurture.db import create_schema
from nurture.repo import kpi_email
from nurture.tables import EmailMessage, Lead, TrackingHit
from tests.nurture.test_migrations import empty_db  # noqa: F401  (fixture: both databases)

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def mails(empty_db: Engine) -> Engine:  # noqa: F811
    create_schema(empty_db)
    with Session(empty_db) as s:
        leads = [Lead(email=f"m{i}@x.example.com") for i in range(5)]
        s.add_all(leads)
        s.flush()
        for i, lead in enumerate(leads):  # whitepaper/thanks to all five, one bounced
            s.add(EmailMessage(
                outbox_key=f"k{i}", lead_id=lead.id, scenario="whitepaper", step="thanks",
                tracking_id=f"t{i}", status="bounced" if i == 4 else "sent", scheduled_at=T0,
            ))  # fmt: skip
        s.add(
            EmailMessage(
                outbox_key="r0",
                lead_id=leads[0].id,
                kind="rep",
                tracking_id="r0",
                status="sent",
                scheduled_at=T0,
            )
        )  # fmt: skip  (rep mail: not counted)
        s.add(EmailMessage(outbox_key="c0", lead_id=leads[0].id, scenario="whitepaper",
                           step="case-studies", tracking_id="c0", status="sent",
                           scheduled_at=T0 + timedelta(days=2)))  # fmt: skip

        def hit(i: int, kind: str, machine: bool = False, tracking: str | None = None) -> None:
            s.add(TrackingHit(lead_id=leads[i].id, tracking_id=tracking or f"t{i}", kind=kind,
                              at=T0, machine=machine))  # fmt: skip

        hit(0, "open")
        hit(0, "open")  # the same person again
        hit(1, "open")
        hit(2, "open", machine=True)  # a gateway
        hit(0, "click")
        hit(3, "click", machine=True)
        hit(1, "unsubscribe")
        hit(0, "open", tracking="c0")
        s.commit()
    return empty_db


def test_per_step_rates(mails: Engine) -> None:
    with Session(mails) as session:
        rows = {(r.scenario, r.step): r for r in kpi_email.per_step(session, None, None)}
    thanks = rows[("whitepaper", "thanks")]
    assert (thanks.sent, thanks.delivered, thanks.bounced) == (5, 4, 1)
    assert (thanks.opens, thanks.clicks, thanks.unsubscribes) == (2, 1, 1)
    assert (thanks.open_rate, thanks.click_rate, thanks.unsubscribe_rate) == (0.5, 0.25, 0.25)
    assert thanks.bounce_rate == 0.2
    later = rows[("whitepaper", "case-studies")]
    assert (later.delivered, later.opens, later.open_rate) == (1, 1, 1.0)
    assert set(rows) == {("whitepaper", "thanks"), ("whitepaper", "case-studies")}


def test_range_is_by_send_time(mails: Engine) -> None:
    with Session(mails) as session:
        rows = kpi_email.per_step(session, T0 + timedelta(days=1), None)
    assert [(r.step, r.delivered) for r in rows] == [("case-studies", 1)]
