"""Touches are recorded once: at intake per campaign, and with each event naming one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from nurture.db import alembic_config, create_schema, session_scope
from nurture.models import AppliedEvent, BehaviourEvent, ScoreRecord
from nurture.repo import leads as repo
from nurture.tables import Lead, LeadEvent, Touch
from tests.utils.factories import touches_of

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _record(engine: Engine, lead_id: uuid.UUID, version: int, *events: BehaviourEvent) -> None:
    rec = ScoreRecord(
        lead_id=str(lead_id),
        at=AT,
        score=0,
        breakdown={},
        version=version,
        lines=[],
        events=[AppliedEvent(event=e, points=0, score_after=0) for e in events],
    )
    with session_scope(engine) as session:
        repo.record_score(session, rec)


def test_intake_and_events_record_touches_once(empty_db: Engine) -> None:
    create_schema(empty_db)
    with session_scope(empty_db) as session:
        lead, _ = repo.upsert_lead(
            session, "a@customer.example.com", "whitepaper", {"source": "wp"}
        )
    with session_scope(empty_db) as session:  # the same form again, then another campaign's
        repo.upsert_lead(session, "a@customer.example.com", "whitepaper", {"source": "wp"})
        repo.upsert_lead(session, "A@customer.example.com", "webinar", {"source": "expo"})
    click = BehaviourEvent(
        event_id="click-1",
        type="email_click",
        occurred_at=datetime.now(UTC) + timedelta(days=3),  # after the intakes
        properties={"url": "https://www.example.com/demo?utm_campaign=wp&utm_content=x"},
    )
    plain = BehaviourEvent(event_id="pv-1", type="page_view", occurred_at=AT, properties={})
    _record(empty_db, lead.id, 1, click, plain)
    _record(empty_db, lead.id, 2, click)  # a retried write after a lost acknowledgement
    got = touches_of(empty_db, lead.id)
    assert sorted(got) == [("expo", "intake"), ("wp", "email_click"), ("wp", "intake")]
    assert got[-1] == ("wp", "email_click")  # in time order: the click came three days later


def test_a_lead_without_a_source_has_no_intake_touch(empty_db: Engine) -> None:
    create_schema(empty_db)
    with session_scope(empty_db) as session:
        lead, _ = repo.upsert_lead(session, "b@customer.example.com", "whitepaper", {})
    assert touches_of(empty_db, lead.id) == []


def test_the_migration_fills_touches_from_existing_leads_and_events(empty_db: Engine) -> None:
    command.upgrade(alembic_config(empty_db), "0007")  # a database from before touches
    with session_scope(empty_db) as session:  # the event table did not change
        lead_id = uuid.uuid4()
        old = {  # the lead's columns as they were at 0007 (fit, accounts came later)
            "id": lead_id,
            "email": "c@customer.example.com",
            "source": "expo",
            "created_at": AT,
            "updated_at": AT,
            **dict.fromkeys(("name", "company", "job_title", "industry", "scenario"), ""),
            **{"score": 0, "score_breakdown": {}, "score_version": 0, "stage": "new"},
            "attributes": {},
        }
        session.execute(sa.insert(Lead).values(**old))
        for event_id, kind, properties in (
            ("e1", "webinar_registered", {"campaign": "dx-webinar"}),
            ("e2", "page_view", {"url": "https://www.example.com/pricing"}),
        ):
            session.add(
                LeadEvent(
                    lead_id=lead_id,
                    event_id=event_id,
                    type=kind,
                    occurred_at=AT,
                    applied_at=AT,
                    properties=properties,
                )
            )
    create_schema(empty_db)
    with session_scope(empty_db) as session:
        rows = session.exec(select(Touch).order_by(col(Touch.ref))).all()
        assert [(t.campaign, t.kind, t.ref, t.at) for t in rows] == [
            ("dx-webinar", "webinar_registered", "e1", AT),
            ("expo", "intake", "intake:expo", AT),
        ]
        assert all(t.lead_id == lead_id for t in rows)
