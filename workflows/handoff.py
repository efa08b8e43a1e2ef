"""The sales handoff: pick a rep, tell them, record it.

A child of the lead workflow, so ops see each handoff as its own run. The SLA
clock, escalation and compensation build on this workflow.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.assignment import AssignmentActivities
    from activities.email import EmailActivities
    from workflows import policies
    from workflows.models import (
        AssignInput,
        Assignment,
        HandoffInput,
        HandoffResult,
        NotifyRepInput,
    )

NO_REP_RETRY_EVERY = timedelta(hours=1)


@workflow.defn
class SalesHandoffWorkflow:
    @workflow.run
    async def run(self, input: HandoffInput) -> HandoffResult:
        assignment = await self._assign(input)
        await workflow.execute_activity_method(
            EmailActivities.notify_rep,
            NotifyRepInput(handoff_id=input.handoff_id, at=workflow.now()),
            start_to_close_timeout=policies.SEND_TIMEOUT,
            retry_policy=policies.SEND_RETRY,
        )
        return HandoffResult(handoff_id=input.handoff_id, rep_id=assignment.rep_id)

    async def _assign(self, input: HandoffInput) -> Assignment:
        while True:
            try:
                return await workflow.execute_activity_method(
                    AssignmentActivities.assign_rep,
                    AssignInput(
                        handoff_id=input.handoff_id,
                        lead_id=input.lead_id,
                        score=input.score,
                        at=workflow.now(),
                    ),
                    start_to_close_timeout=policies.ASSIGN_TIMEOUT,
                    retry_policy=policies.ASSIGN_RETRY,
                )
            except ActivityError as err:
                cause = err.cause
                if not (isinstance(cause, ApplicationError) and cause.type == "NoRepAvailable"):
                    raise
                # Nobody to take the lead yet: wait for reps to be configured, never drop it.
                workflow.logger.warning("no active sales rep; retrying in %s", NO_REP_RETRY_EVERY)
                await workflow.sleep(NO_REP_RETRY_EVERY)
