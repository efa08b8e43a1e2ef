"""Choosing the sales rep who receives a qualified lead, by the SLA's strategy."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from nurture.db import session_scope
from nurture.models import AssignInput, Assignment
from nurture.repo import accounts, reps
from scenarios.sla import SLA


class AssignmentActivities:
    def __init__(self, engine: Engine, *, chat: bool = False) -> None:
        self._engine = engine
        self._chat = chat  # Slack configured: the workflow cannot read settings, it reads this

    @activity.defn
    def assign_rep(self, input: AssignInput) -> Assignment:
        """Idempotent per (handoff, attempt): a retry gets the rep the first try chose."""
        attempt = input.attempt or len(input.exclude_rep_ids) + 1
        with session_scope(self._engine) as session:
            choice: reps.Choice | None
            if input.to_rep_id is not None:
                try:
                    choice = reps.assign_to(
                        session,
                        handoff_id=input.handoff_id,
                        attempt=attempt,
                        rep_id=input.to_rep_id,
                        at=input.at,
                    )
                except reps.RepError as err:
                    raise ApplicationError(
                        str(err), type="RepUnavailable", non_retryable=True
                    ) from None
            else:
                account_rep = accounts.rep_of_account(session, uuid.UUID(input.lead_id))
                choice = reps.assign(
                    session,
                    strategy=SLA.assignment,
                    handoff_id=input.handoff_id,
                    attempt=attempt,
                    profile=input.profile,
                    at=input.at,
                    exclude=input.exclude_rep_ids,
                    account_rep=account_rep,
                )
            if choice is None:
                back = reps.next_back(session, input.at)
                raise ApplicationError(
                    "no sales rep is available (all disabled, away or already tried)",
                    back.isoformat() if back else None,  # when the first away rep returns
                    type="NoRepAvailable",
                    non_retryable=True,
                )
            return Assignment(
                rep_id=str(choice.rep.id),
                reason=choice.reason,
                has_manager=bool(choice.rep.manager_email),
                chat=self._chat,
            )
