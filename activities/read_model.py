"""Read-model writes, run as local activities right after the workflow decides."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine
from temporalio import activity

from nurture.db import session_scope
from nurture.models import (
    HaltRecord,
    HandoffRecord,
    LeadWrites,
    NoteRecord,
    ScoreRecord,
    SendFailedRecord,
    SentRecord,
    SplitRecord,
    StageRecord,
    StepRecord,
)
from nurture.repo import emails, handoffs, leads, lifecycle
from nurture.rules.score_state import ScoreState
from scenarios.scoring import MODEL


def with_axes(rec: ScoreRecord) -> ScoreRecord:
    """The record with the score's two axes: as the lead's scoring outcome gave them, or
    (runs from before the axes) derived from its breakdown under today's model."""
    if rec.fit_grade is not None and rec.engagement is not None:
        return rec
    state = ScoreState(breakdown=rec.breakdown)
    return rec.model_copy(
        update={"fit_grade": MODEL.fit_grade(state), "engagement": MODEL.engagement(state)}
    )


class ReadModelActivities:
    """Keeps the database's view of each lead in step with its workflow."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def record_score(self, rec: ScoreRecord) -> None:
        with session_scope(self._engine) as session:
            leads.record_score(session, with_axes(rec))

    @activity.defn
    def record_stage(self, rec: StageRecord) -> None:
        with session_scope(self._engine) as session:
            leads.record_stage(session, rec)

    @activity.defn
    def record_step(self, rec: StepRecord) -> None:
        with session_scope(self._engine) as session:
            leads.record_step(session, rec)

    @activity.defn
    def record_lead(self, batch: LeadWrites) -> None:
        """A workflow task's writes in one transaction, in order (leads after the
        lead-records-batched patch): the same rows the single writes above make."""
        with session_scope(self._engine) as session:
            for write in batch.writes:
                if write.score is not None:
                    leads.record_score(session, with_axes(write.score))
                if write.stage is not None:
                    leads.record_stage(session, write.stage)
                if write.step is not None:
                    leads.record_step(session, write.step)
                if write.note is not None:
                    leads.record_note(session, write.note)

    @activity.defn
    def record_note(self, rec: NoteRecord) -> None:
        with session_scope(self._engine) as session:
            leads.record_note(session, rec)

    @activity.defn
    def record_split(self, rec: SplitRecord) -> str:
        """Note the lead's A/B variant; the variant comes back, and history keeps it."""
        with session_scope(self._engine) as session:
            leads.record_note(
                session,
                NoteRecord(
                    lead_id=rec.lead_id,
                    at=rec.at,
                    kind="split",
                    text=f"A/B split {rec.split}: variant {rec.variant}",
                ),
            )
        return rec.variant

    @activity.defn
    def record_sent(self, rec: SentRecord) -> None:
        """A delivery the send activity could not record: retried here, never re-sent."""
        with session_scope(self._engine) as session:
            emails.mark_sent(session, rec.outbox_key, rec.subject, rec.at)

    @activity.defn
    def record_send_failed(self, rec: SendFailedRecord) -> None:
        with session_scope(self._engine) as session:
            if emails.find(session, rec.outbox_key) is not None:
                emails.mark_failed(session, rec.outbox_key, rec.cause)

    @activity.defn
    def record_halt(self, rec: HaltRecord) -> None:
        """A lead stopped by ops: halted in the read model, its unapplied events kept."""
        lead_id = uuid.UUID(rec.lead_id)
        with session_scope(self._engine) as session:
            lifecycle.mark_halted(session, lead_id, rec.how, rec.at)
            for event in rec.parked:
                lifecycle.park(session, lead_id, event, "not yet applied when the lead stopped")
            emails.skip_unsent(session, lead_id, f"the lead was {rec.how}")

    @activity.defn
    def record_handoff(self, rec: HandoffRecord) -> None:
        """The handoff's change, and the lead's sales stage when it moved with it: one
        writer per sales move, one transaction."""
        with session_scope(self._engine) as session:
            handoffs.record(session, rec)
            if rec.lead_stage is not None:
                leads.record_stage(session, rec.lead_stage)
