"""Leads and events for tests, stored in the real database and started on a real server."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.client import Client, WorkflowHandle

from nurture import tokens
from nurture.db import session_scope
from nurture.models import BehaviourEvent, EventType, lead_workflow_id
from nurture.orchestration.lead_runs import input_of
from nurture.repo import leads as repo
from nurture.settings import Settings
from nurture.tables import EmailMessage, Lead, StageChange, TimelineNote, Touch
from workflows.lead import LeadWorkflow

HOT_PROFILE: dict[str, Any] = {
    "job_title": "CEO",
    "industry": "Manufacturing",
    "company_size": 500,
}  # 45 attribute points: one pricing page view away from MQL
COLD_PROFILE: dict[str, Any] = {"job_title": "Engineer", "industry": "Retail", "company_size": 20}


def make_lead(engine: Engine, scenario: str = "whitepaper", **fields: Any) -> Lead:
    email = fields.pop("email", f"lead-{uuid.uuid4().hex[:8]}@customer.example.com")
    defaults: dict[str, Any] = {"name": "Yamada Hanako", "company": "Acme KK", "source": "wp-2026"}
    defaults.update(fields)
    with session_scope(engine) as session:
        lead, _ = repo.upsert_lead(session, email, scenario, defaults)
    return lead


async def start_lead(
    client: Client, settings: Settings, lead: Lead, continue_as_new_after: int | None = None
) -> WorkflowHandle[Any, Any]:
    start = input_of(lead, settings)
    start.continue_as_new_after = continue_as_new_after
    handle = await client.start_workflow(
        LeadWorkflow.run,
        start,
        id=lead_workflow_id(lead.id),
        task_queue=settings.task_queue,
    )
    return handle


def event(type: EventType | str, event_id: str | None = None, **properties: Any) -> BehaviourEvent:
    return BehaviourEvent(
        event_id=event_id or uuid.uuid4().hex,
        type=EventType(type).value,
        occurred_at=datetime.now(UTC),
        properties=properties,
    )


def sent_mails(engine: Engine, lead_id: uuid.UUID, kind: str = "nurture") -> list[EmailMessage]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(EmailMessage).where(
                EmailMessage.lead_id == lead_id,
                EmailMessage.kind == kind,
                EmailMessage.status == "sent",
            )
        ).all()
    return sorted(rows, key=lambda r: r.scheduled_at)


def touches_of(engine: Engine, lead_id: uuid.UUID) -> list[tuple[str, str]]:
    """(campaign, kind) of the lead's touches, in time order, as attribution reads them."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(Touch).where(Touch.lead_id == lead_id).order_by(col(Touch.at), col(Touch.id))
        ).all()
    return [(t.campaign, t.kind) for t in rows]


def outbox(engine: Engine, lead_id: uuid.UUID, kind: str = "nurture") -> list[EmailMessage]:
    """Every outbox row of the lead, whatever became of it, oldest first."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(EmailMessage).where(EmailMessage.lead_id == lead_id, EmailMessage.kind == kind)
        ).all()
    return sorted(rows, key=lambda r: (r.scheduled_at, r.id or 0))


def notes(engine: Engine, lead_id: uuid.UUID, kind: str | None = None) -> list[str]:
    """The texts of the lead's timeline notes (of one kind, if given), oldest first."""
    with session_scope(engine) as session:
        rows = session.exec(select(TimelineNote).where(TimelineNote.lead_id == lead_id)).all()
    ordered = sorted(rows, key=lambda r: (r.at, r.id or 0))
    return [r.text for r in ordered if kind is None or r.kind == kind]


def stages(engine: Engine, lead_id: uuid.UUID) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(select(StageChange).where(StageChange.lead_id == lead_id)).all()
    return [r.to_stage for r in sorted(rows, key=lambda r: (r.at, r.id or 0))]


def load(engine: Engine, lead_id: uuid.UUID) -> Lead:
    with session_scope(engine) as session:
        lead = session.get(Lead, lead_id)
    if lead is None:
        raise LookupError(lead_id)
    return lead


def link_targets(body: str, settings: Settings) -> list[str]:
    """The real URLs behind the tracked links in a mail body (honeypot excluded)."""
    found = []
    for token in re.findall(r"/t/c/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", body):
        payload = tokens.read(settings.secret_key.get_secret_value(), "click", token)
        if not payload.get("h"):
            found.append(str(payload["u"]))
    return found
