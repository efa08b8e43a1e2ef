"""The intake benchmark's reference: the least any lead needs. One activity delivers a mail
to the SMTP sink, then the workflow sleeps on a timer (as a lead sleeps until its next step).

Only temporalio is imported here: the sandbox re-imports this module for every run, as it
does nurture's workflow modules, so it carries no more than the reference needs.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

WORKFLOW_NAME = "IntakeReference"
ACTIVITY_NAME = "deliver_reference_mail"


@workflow.defn(name=WORKFLOW_NAME)
class ReferenceWorkflow:
    @workflow.run
    async def run(self, to: str) -> None:
        await workflow.execute_activity(
            ACTIVITY_NAME,
            to,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=5),
        )
        await workflow.sleep(timedelta(days=2))
