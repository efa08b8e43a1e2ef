"""Choosing the sales rep who receives a qualified lead, by the SLA's strategy."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from nurture.db import session_scope
from nurture.models import AssignInput, Assignment
from nurture.repo import reps
from scenarios.sla import SLA


class AssignmentActivities:
    def __init__(self, engine: Engine, *, chat: bool = False) -> None:
        self._engine = engine
        self._chat = chat  # Slack configured: the workflow cannot read settings, it reads this

    @activity.defn
    def assign_rep(self, input: AssignInput) -> Assignment:
        """Idempotent per (handoff, attempt): a retry gets the rep the first try chose."""
        with session_scope(self._engine) as session:
            choice = reps.assign(
                session,
                strategy=SLA.assignment,
                handoff_id=input.handoff_id,
                attempt=len(input.exclude_rep_ids) + 1,
                profile=input.profile,
                at=input.at,
                exclude=input.exclude_rep_ids,
            )
            if choice is None:
                raise ApplicationError(
                    "no sales rep is available (all disabled, away or already tried)",
                    type="NoRepAvailable",
                    non_retryable=True,
                )
            return Assignment(
                rep_id=str(choice.rep.id),
                reason=choice.reason,
                has_manager=bool(choice.rep.manager_email),
                chat=self._chat,
            )
