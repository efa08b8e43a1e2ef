"""Choosing the sales rep who receives a qualified lead."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from nurture.db import session_scope
from nurture.repo import leads, reps
from workflows.models import AssignInput, Assignment, NoteRecord


class AssignmentActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def assign_rep(self, input: AssignInput) -> Assignment:
        """Round-robin over active reps; idempotent per handoff, so retries keep the same rep."""
        with session_scope(self._engine) as session:
            chosen = reps.assign_round_robin(
                session,
                handoff_id=input.handoff_id,
                lead_id=uuid.UUID(input.lead_id),
                score=input.score,
                at=input.at,
            )
            if chosen is None:
                raise ApplicationError(
                    "no active sales rep is configured (NURTURE_SALES_REPS)",
                    type="NoRepAvailable",
                    non_retryable=True,
                )
            handoff, rep = chosen
            leads.record_note(
                session,
                NoteRecord(
                    lead_id=input.lead_id,
                    at=input.at,
                    kind="assignment",
                    text=f"assigned to {rep.name} ({handoff.reason})",
                ),
            )
            return Assignment(rep_id=str(rep.id), rep_name=rep.name, reason=handoff.reason)
