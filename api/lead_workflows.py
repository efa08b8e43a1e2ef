"""How the API reaches a lead's workflow: intake by update-with-start, events by signal-with-start.

Both are idempotent on the workflow ID, so a retried request never makes a second workflow.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy

from nurture.settings import Settings
from nurture.tables import Lead
from scenarios.scoring import email_kind
from workflows.lead import LeadWorkflow
from workflows.lead_state import LeadInput
from workflows.models import (
    BEHAVIOUR_SIGNAL,
    UNSUBSCRIBE_SIGNAL,
    BehaviourEvent,
    EnrolRequest,
    LeadProfile,
    LeadStatus,
    lead_workflow_id,
)


def profile_of(lead: Lead) -> LeadProfile:
    return LeadProfile(
        job_title=lead.job_title,
        industry=lead.industry,
        company_size=lead.company_size,
        source=lead.source,
        timezone=lead.timezone,
        attributes=lead.attributes,
        email_kind=email_kind(lead.email),
    )


def input_of(lead: Lead, settings: Settings | None = None) -> LeadInput:
    return LeadInput(
        lead_id=str(lead.id),
        scenario=lead.scenario,
        profile=profile_of(lead),
        send_window=settings.send_window if settings is not None else True,
    )


async def enrol(
    client: Client, settings: Settings, lead: Lead, scenario: str | None = None
) -> LeadStatus | None:
    """Start the lead's workflow if needed, apply the profile, enter `scenario` when given
    (a known lead asking again: its re-enrolment policy decides), and return its state.

    None when no worker answered in time: the workflow is then durably started and
    will enrol the lead as soon as a worker runs.
    """
    start = WithStartWorkflowOperation(
        LeadWorkflow.run,
        input_of(lead, settings),
        id=lead_workflow_id(lead.id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    try:
        return await client.execute_update_with_start_workflow(
            LeadWorkflow.enrol,
            EnrolRequest(profile=profile_of(lead), scenario=scenario),
            start_workflow_operation=start,
            rpc_timeout=timedelta(seconds=settings.intake_wait_seconds),
        )
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        pass
    await client.start_workflow(
        LeadWorkflow.run,
        input_of(lead, settings),
        id=lead_workflow_id(lead.id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return None


async def deliver_event(
    client: Client, settings: Settings, lead: Lead, event: BehaviourEvent
) -> None:
    """Durably hand one event to the lead's workflow (starting it if it is somehow not running)."""
    await client.start_workflow(
        LeadWorkflow.run,
        input_of(lead, settings),
        id=lead_workflow_id(lead.id),
        task_queue=settings.task_queue,
        start_signal=BEHAVIOUR_SIGNAL,
        start_signal_args=[event],
    )


async def signal_unsubscribe(client: Client, settings: Settings, lead: Lead) -> None:
    """Tell the lead's workflow to stop all marketing mail now."""
    await client.start_workflow(
        LeadWorkflow.run,
        input_of(lead, settings),
        id=lead_workflow_id(lead.id),
        task_queue=settings.task_queue,
        start_signal=UNSUBSCRIBE_SIGNAL,
    )
