"""Leads and their history: intake, lookups, the timeline, and the workflow's writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from nurture.models import NoteRecord, ScoreRecord, StageRecord, StepRecord
from nurture.repo import accounts, touches
from nurture.repo.bound import insert_all, param, params, run
from nurture.tables import (
    EmailMessage,
    Lead,
    LeadEvent,
    ProfileChange,
    Rep,
    ScoreChange,
    SlaEvent,
    StageChange,
    TimelineNote,
    utcnow,
)

PROFILE_FIELDS = (
    "name",
    "company",
    "job_title",
    "industry",
    "company_size",
    "source",
    "timezone",
    "attributes",
)
SCORING_FIELDS = ("job_title", "industry", "company_size", "source", "timezone", "attributes")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def upsert_lead(
    session: Session,
    email: str,
    scenario: str,
    fields: dict[str, Any],
    company_domain: str | None = None,
) -> tuple[Lead, bool]:
    """Create the lead, or update the one with this email (case-insensitive). True when new.
    `company_domain`: the company the address belongs to (its account), if any."""
    email = normalise_email(email)
    existing = session.exec(select(Lead).where(Lead.email == email)).first()
    if existing is None:
        lead = Lead(email=email, scenario=scenario, **fields)
        session.add(lead)
        try:
            session.flush()
        except IntegrityError:  # a concurrent intake of the same email won the race
            session.rollback()
            existing = session.exec(select(Lead).where(Lead.email == email)).one()
        else:
            touches.add_intake(session, lead.id, lead.source, lead.created_at)
            accounts.join(session, lead, company_domain)
            return lead, True
    before = scoring_fields(existing)
    for name, value in fields.items():
        if value is not None and value != "" and value != {}:
            setattr(existing, name, value)
    existing.updated_at = utcnow()
    session.add(existing)
    accounts.join(session, existing, company_domain)
    if scoring_fields(existing) != before:
        session.add(ProfileChange(lead_id=existing.id, at=existing.updated_at, before=before))
    session.flush()
    touches.add_intake(session, existing.id, existing.source, existing.updated_at)
    return existing, False


def scoring_fields(lead: Lead) -> dict[str, Any]:
    """The lead's fields a scoring model reads (nurture.models.LeadProfile; the email's kind
    follows from the email, which never changes), as JSON."""
    fields = {name: getattr(lead, name) for name in SCORING_FIELDS}
    fields["attributes"] = dict(fields["attributes"] or {})  # a copy: the row's may change
    return fields


def get_lead(session: Session, lead_id: uuid.UUID) -> Lead | None:
    return session.get(Lead, lead_id)


def leads_by_ids_or_emails(
    session: Session, ids: Iterable[uuid.UUID], emails: Iterable[str]
) -> list[Lead]:
    """The leads with any of these IDs or (normalised) emails, in one query."""
    ids, emails = set(ids), {normalise_email(e) for e in emails}
    if not ids and not emails:
        return []
    clauses = []
    if ids:
        clauses.append(col(Lead.id).in_(ids))
    if emails:
        clauses.append(col(Lead.email).in_(emails))
    return list(session.exec(select(Lead).where(sa.or_(*clauses))).all())


def list_leads(
    session: Session,
    *,
    stage: str | None = None,
    source: str | None = None,
    scenario: str | None = None,
    min_score: int | None = None,
    fit_grades: Sequence[str] = (),
    min_engagement: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Lead], int]:
    """`fit_grades`: any of these grades; `min_engagement`: at least these behaviour points
    (rows not yet scored have neither and are left out by these two filters)."""
    query = select(Lead)
    if stage:
        query = query.where(Lead.stage == stage)
    if source:
        query = query.where(Lead.source == source)
    if scenario:
        query = query.where(Lead.scenario == scenario)
    if min_score is not None:
        query = query.where(Lead.score >= min_score)
    if fit_grades:
        query = query.where(col(Lead.fit_grade).in_(list(fit_grades)))
    if min_engagement is not None:
        query = query.where(col(Lead.engagement) >= min_engagement)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Lead.created_at).desc(), col(Lead.id)).offset(offset).limit(limit)
    ).all()
    return list(rows), int(total)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    text: str
    data: dict[str, Any]


def timeline(session: Session, lead_id: uuid.UUID, labels: dict[str, str]) -> list[TimelineEntry]:
    """Everything that happened to the lead, oldest first."""
    entries: list[TimelineEntry] = []
    for ev in session.exec(select(LeadEvent).where(LeadEvent.lead_id == lead_id)):
        entries.append(
            TimelineEntry(
                ev.applied_at,
                "event",
                f"{ev.type} ({ev.points:+d} points, score {ev.score_after})",
                {
                    "event_id": ev.event_id,
                    "type": ev.type,
                    "occurred_at": ev.occurred_at.isoformat(),
                    "points": ev.points,
                    "score_after": ev.score_after,
                    "properties": ev.properties,
                },
            )
        )
    for sc in session.exec(select(ScoreChange).where(ScoreChange.lead_id == lead_id)):
        entries.append(
            TimelineEntry(
                sc.at,
                "score",
                f"{labels.get(sc.rule, sc.rule)}: {sc.points:+d} (score {sc.score_after})",
                {
                    "rule": sc.rule,
                    "points": sc.points,
                    "score_after": sc.score_after,
                    "cause": sc.cause,
                },
            )
        )
    mails = session.exec(select(EmailMessage).where(EmailMessage.lead_id == lead_id))
    for em in mails:
        if em.status != "sent":
            continue
        to = "sales rep" if em.kind == "rep" else "lead"
        entries.append(
            TimelineEntry(
                em.scheduled_at,
                "email",
                f"mail to {to}: {em.subject}",
                {
                    "kind": em.kind,
                    "scenario": em.scenario,
                    "step": em.step,
                    "message_id": em.message_id,
                    "subject": em.subject,
                },
            )
        )
    for st in session.exec(select(StageChange).where(StageChange.lead_id == lead_id)):
        entries.append(
            TimelineEntry(
                st.at,
                "stage",
                f"{st.from_stage or '-'} → {st.to_stage}: {st.reason}",
                {"from": st.from_stage, "to": st.to_stage, "reason": st.reason},
            )
        )
    names = {rep.id: rep.name for rep in session.exec(select(Rep)).all()}
    for sla in session.exec(select(SlaEvent).where(SlaEvent.lead_id == lead_id)):
        who = names.get(sla.rep_id, "-") if sla.rep_id else "-"
        text = f"{sla.event} ({who})" + (f": {sla.detail}" if sla.detail else "")
        if sla.reason:
            text += f"; reason {sla.reason}"
        entries.append(
            TimelineEntry(
                sla.at,
                "sales",
                text,
                {
                    "event": sla.event,
                    "handoff_id": sla.handoff_id,
                    "rep": who,
                    "reason": sla.reason,
                    "note": sla.note,
                    "amount": str(sla.amount) if sla.amount is not None else None,
                },
            )
        )
    for note in session.exec(select(TimelineNote).where(TimelineNote.lead_id == lead_id)):
        entries.append(TimelineEntry(note.at, note.kind, note.text, {}))
    order = {"event": 0, "score": 1, "stage": 2, "email": 3, "sales": 4}
    entries.sort(key=lambda e: (e.at, order.get(e.kind, 4)))
    return entries


def rep_name(session: Session, rep_id: uuid.UUID | None) -> str | None:
    rep = session.get(Rep, rep_id) if rep_id else None
    return rep.name if rep else None


# --- writes from the lead workflow's activities ------------------------------------
#
# Core statements built once, with bound parameters: each lead's first task writes its
# score, stage and step in one batch (record_lead), and building, cache-keying and running
# them as ORM statements (bulk UPDATE with session synchronisation, unit-of-work INSERTs)
# cost several times the database's own work. The same rows and values as before.

_LEAD = Lead.__table__  # type: ignore[attr-defined]
_SCORES = ScoreChange.__table__  # type: ignore[attr-defined]
_STAGES = StageChange.__table__  # type: ignore[attr-defined]
_NOTES = TimelineNote.__table__  # type: ignore[attr-defined]


_SET_SCORE = (
    sa.update(_LEAD)
    .where(_LEAD.c.id == param(_LEAD.c.id), _LEAD.c.score_version < param(_LEAD.c.score_version))
    .values(
        score=param(_LEAD.c.score),
        score_breakdown=param(_LEAD.c.score_breakdown),
        score_version=param(_LEAD.c.score_version),
        fit_grade=param(_LEAD.c.fit_grade),
        engagement=param(_LEAD.c.engagement),
        updated_at=param(_LEAD.c.updated_at),
    )
)
_SET_STEP = (
    sa.update(_LEAD)
    .where(_LEAD.c.id == param(_LEAD.c.id))
    .values(
        step=param(_LEAD.c.step),
        scenario=param(_LEAD.c.scenario),
        updated_at=param(_LEAD.c.updated_at),
    )
)


def _set_stage_statement(rep: bool) -> Any:
    values = {"stage": param(_LEAD.c.stage), "updated_at": param(_LEAD.c.updated_at)}
    if rep:
        values["rep_id"] = param(_LEAD.c.rep_id)
    return sa.update(_LEAD).where(_LEAD.c.id == param(_LEAD.c.id)).values(**values)


_SET_STAGE = {rep: _set_stage_statement(rep) for rep in (False, True)}


_ADD_SCORE, _ADD_STAGE, _ADD_NOTE = (insert_all(t) for t in (_SCORES, _STAGES, _NOTES))


def _exists_statement(table: Any, column: str) -> Any:
    return (
        sa.select(table.c.id)
        .where(
            table.c.lead_id == param(table.c.lead_id),
            table.c.at == param(table.c.at),
            table.c[column] == param(table.c[column]),
        )
        .limit(1)
    )


_SCORE_AT = _exists_statement(_SCORES, "rule")
_STAGE_AT = _exists_statement(_STAGES, "to_stage")
_NOTE_AT = _exists_statement(_NOTES, "text")


def record_score(session: Session, rec: ScoreRecord) -> None:
    lead_id = uuid.UUID(rec.lead_id)
    run(
        session,
        _SET_SCORE,
        params(
            id=lead_id,
            score=rec.score,
            score_breakdown=rec.breakdown,
            score_version=rec.version,
            fit_grade=rec.fit_grade,
            engagement=rec.engagement,
            updated_at=utcnow(),
        ),
    )
    running = rec.score - sum(line.points for line in rec.lines)
    lines = rec.lines
    if (
        lines
        and run(session, _SCORE_AT, params(lead_id=lead_id, at=rec.at, rule=lines[0].rule)).first()
    ):
        lines = []  # a retried write after a lost ack
    rows = []
    for line in lines:
        running += line.points
        rows.append(
            params(
                lead_id=lead_id,
                at=rec.at,
                rule=line.rule,
                points=line.points,
                score_after=running,
                cause=line.cause,
            )
        )
    if rows:
        run(session, _ADD_SCORE, rows)
    if not rec.events:
        return
    ids = [a.event.event_id for a in rec.events]
    already = set(
        session.exec(
            select(LeadEvent.event_id).where(
                LeadEvent.lead_id == lead_id, col(LeadEvent.event_id).in_(ids)
            )
        ).all()
    )  # a retried write after a lost acknowledgement
    for applied in rec.events:
        if applied.event.event_id in already:
            continue
        touches.add_event(
            session,
            lead_id,
            applied.event.event_id,
            applied.event.type,
            applied.event.properties,
            applied.event.occurred_at,
        )
        session.add(
            LeadEvent(
                lead_id=lead_id,
                event_id=applied.event.event_id,
                type=applied.event.type,
                occurred_at=applied.event.occurred_at,
                applied_at=rec.at,
                properties=applied.event.properties,
                points=applied.points,
                score_after=applied.score_after,
            )
        )


def record_stage(session: Session, rec: StageRecord) -> None:
    """A stage change; the same stage again only moves the rep (a reassignment), as a note."""
    lead_id = uuid.UUID(rec.lead_id)
    values: dict[str, Any] = {"id": lead_id, "stage": rec.to_stage.value, "updated_at": utcnow()}
    if rec.rep_id:
        values["rep_id"] = uuid.UUID(rec.rep_id)
    if rec.clear_rep:
        values["rep_id"] = None
    run(session, _SET_STAGE["rep_id" in values], params(**values))
    if rec.from_stage == rec.to_stage:
        record_note(
            session, NoteRecord(lead_id=rec.lead_id, at=rec.at, kind="sales", text=rec.reason)
        )
        return
    to_stage = rec.to_stage.value
    if run(session, _STAGE_AT, params(lead_id=lead_id, at=rec.at, to_stage=to_stage)).first():
        return  # a retried write after a lost ack
    run(
        session,
        _ADD_STAGE,
        params(
            lead_id=lead_id,
            at=rec.at,
            from_stage=rec.from_stage.value if rec.from_stage else None,
            to_stage=to_stage,
            reason=rec.reason,
        ),
    )


def record_step(session: Session, rec: StepRecord) -> None:
    run(
        session,
        _SET_STEP,
        params(
            id=uuid.UUID(rec.lead_id), step=rec.step, scenario=rec.scenario, updated_at=utcnow()
        ),
    )


def record_note(session: Session, rec: NoteRecord) -> None:
    lead_id = uuid.UUID(rec.lead_id)
    if run(session, _NOTE_AT, params(lead_id=lead_id, at=rec.at, text=rec.text)).first():
        return
    run(session, _ADD_NOTE, params(lead_id=lead_id, at=rec.at, kind=rec.kind, text=rec.text))


def recent_events(
    session: Session, lead_id: uuid.UUID, event_type: str | None = None, limit: int = 50
) -> list[LeadEvent]:
    query = select(LeadEvent).where(LeadEvent.lead_id == lead_id)
    if event_type:
        query = query.where(LeadEvent.type == event_type)
    rows = session.exec(query.order_by(col(LeadEvent.id).desc()).limit(limit)).all()
    return list(reversed(rows))


_EVENTS = LeadEvent.__table__  # type: ignore[attr-defined]
_RECENT_PROPERTIES = (
    sa.select(_EVENTS.c.properties)
    .where(_EVENTS.c.lead_id == param(_EVENTS.c.lead_id), _EVENTS.c.type == param(_EVENTS.c.type))
    .order_by(_EVENTS.c.id.desc())
    .limit(sa.bindparam("p_limit", type_=sa.Integer()))
)


def recent_properties(
    session: Session, lead_id: uuid.UUID, event_type: str, limit: int = 50
) -> list[dict[str, Any]]:
    """The properties of the lead's last `limit` events of a type, oldest first (what a
    mail quotes of them: `recent_events` without loading the rows)."""
    values = {**params(lead_id=lead_id, type=event_type), "p_limit": limit}
    rows = run(session, _RECENT_PROPERTIES, values).scalars().all()
    return [row or {} for row in reversed(rows)]
