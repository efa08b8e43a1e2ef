"""Email KPIs per step on a hand-built history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from nurture.db import create_schema
from nurture.repo import kpi_email
from nurture.tables import EmailMessage, Lead, TrackingHit

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def mails(empty_db: Engine) -> Engine:
    create_schema(empty_db)
    with Session(empty_db) as s:
        leads = [Lead(email=f"m{i}@x.example.com") for i in range(5)]
        s.add_all(leads)
        s.flush()
        for i, lead in enumerate(leads):  # whitepaper/thanks to all five, one bounced
            s.add(
                EmailMessage(
                    outbox_key=f"k{i}",
                    lead_id=lead.id,
                    scenario="whitepaper",
                    step="thanks",
                    tracking_id=f"t{i}",
                    status="bounced" if i == 4 else "sent",
                    scheduled_at=T0,
                )
            )
        s.add(
            EmailMessage(
                outbox_key="r0",
                lead_id=leads[0].id,
                kind="rep",
                tracking_id="r0",
                status="sent",
                scheduled_at=T0,
            )
        )  # (rep mail: not counted)
        s.add(
            EmailMessage(
                outbox_key="c0",
                lead_id=leads[0].id,
                scenario="whitepaper",
                step="case-studies",
                tracking_id="c0",
                status="sent",
                scheduled_at=T0 + timedelta(days=2),
            )
        )

        def hit(i: int, kind: str, machine: bool = False, tracking: str | None = None) -> None:
            s.add(
                TrackingHit(
                    lead_id=leads[i].id,
                    tracking_id=tracking or f"t{i}",
                    kind=kind,
                    at=T0,
                    machine=machine,
                )
            )

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


def test_campaign_filter_is_the_leads_source(mails: Engine) -> None:
    with Session(mails) as session:
        lead = session.exec(select(Lead).where(Lead.email == "m0@x.example.com")).one()
        lead.source = "wp"
        session.add(lead)
        session.commit()
        wp = kpi_email.per_step(session, None, None, "wp")
        other = kpi_email.per_step(session, None, None, "expo")
    # m0 alone: delivered both steps, opened both, clicked thanks.
    assert [(r.step, r.sent, r.delivered, r.opens, r.clicks, r.unsubscribes) for r in wp] == [
        ("case-studies", 1, 1, 1, 0, 0),
        ("thanks", 1, 1, 1, 1, 0),
    ]
    assert other == []


LEADS, MAILS_PER_LEAD = 100, 700  # 70,000 mails: more than psycopg's 65,535 parameters


@pytest.fixture
def many_mails(empty_db: Engine) -> Engine:
    """Per lead: 400 mails of step a (4 bounced), 300 of step b (3 bounced)."""
    create_schema(empty_db)
    with Session(empty_db) as s:
        leads = [
            Lead(email=f"bulk{i}@x.example.com", source="wp" if i < 50 else "expo")
            for i in range(LEADS)
        ]
        s.add_all(leads)
        s.flush()
        rows = [
            {
                "outbox_key": f"{i}-{j}",
                "lead_id": lead.id,
                "kind": "nurture",
                "scenario": "bulk",
                "step": "a" if j < 400 else "b",
                "message_id": "",
                "tracking_id": f"{i}-{j}",
                "subject": "",
                "scheduled_at": T0,
                "status": "bounced" if j % 100 == 0 else "sent",
            }
            for i, lead in enumerate(leads)
            for j in range(MAILS_PER_LEAD)
        ]
        s.execute(insert(EmailMessage), rows)

        def hit(i: int, j: int, kind: str, machine: bool = False) -> dict[str, object]:
            return {
                "lead_id": leads[i].id,
                "tracking_id": f"{i}-{j}",
                "kind": kind,
                "at": T0,
                "machine": machine,
                "user_agent": "",
            }

        s.execute(
            insert(TrackingHit),
            [hit(i, 1, "open") for i in range(10)] * 2  # leads 0-9 open a mail of a, twice
            + [hit(i, 401, "click") for i in range(5)]  # leads 0-4 click a mail of b
            + [hit(50, 2, "open", machine=True)],  # a gateway: not a person
        )
        s.commit()
    return empty_db


def test_more_mails_than_sql_parameters(many_mails: Engine) -> None:
    with Session(many_mails) as session:
        every = kpi_email.per_step(session, None, None)
        wp = kpi_email.per_step(session, None, None, "wp")
        expo = kpi_email.per_step(session, None, None, "expo")
    assert sum(r.sent for r in every) == LEADS * MAILS_PER_LEAD == 70_000
    a, b = every
    assert (a.step, a.sent, a.delivered, a.bounced, a.opens, a.clicks) == (
        "a",
        40_000,
        39_600,
        400,
        10,
        0,
    )
    assert (b.step, b.sent, b.delivered, b.bounced, b.opens, b.clicks) == (
        "b",
        30_000,
        29_700,
        300,
        0,
        5,
    )
    assert (a.open_rate, a.bounce_rate, b.click_rate) == (0.0003, 0.01, 0.0002)
    assert [(r.step, r.delivered, r.opens, r.clicks) for r in wp] == [
        ("a", 19_800, 10, 0),
        ("b", 14_850, 0, 5),
    ]
    assert [(r.step, r.delivered, r.opens, r.clicks) for r in expo] == [
        ("a", 19_800, 0, 0),
        ("b", 14_850, 0, 0),
    ]
