"""How the API, the worker's reconciler and the CLI reach a lead's workflow.

Intake is update-with-start (or, for a sender that needs no answer, a plain start of a new
lead and the intake signal for a known one: `enrol_later`), events are signal-with-start:
all idempotent on the workflow ID, so a retried request never makes a second workflow.
All refuse to start a workflow that ran before and was closed (terminated, cancelled,
failed in Temporal, or stopped with `nurture leads stop`): a fresh run would forget the
lead's score and history. Such a lead is *halted*; its events are parked until
`nurture leads resume`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from nurture.models import (
    BEHAVIOUR_SIGNAL,
    INTAKE_SIGNAL,
    UNSUBSCRIBE_SIGNAL,
    AccountClaim,
    BehaviourEvent,
    EnrolRequest,
    LeadProfile,
    LeadStatus,
    lead_workflow_id,
)
from nurture.rules.accounts import company_domain
from nurture.settings import Settings
from nurture.tables import Lead
from scenarios.scoring import BUYING_GROUP, email_kind
from workflows import lead_index
from workflows.lead import LeadWorkflow
from workflows.lead_state import LeadInput

ONCE = WorkflowIDReusePolicy.REJECT_DUPLICATE  # a closed lead is never silently reborn
HALTED = {
    WorkflowExecutionStatus.COMPLETED: "stopped",  # only `nurture leads stop` completes a lead
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CANCELED: "canceled",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}


class LeadHalted(Exception):
    """The lead's workflow ran and was closed; nothing was started or delivered."""

    def __init__(self, how: str) -> None:
        super().__init__(f"the lead's workflow was {how.replace('_', ' ')}")
        self.how = how


def company_of(email: str) -> str | None:
    """The company (account) an address belongs to: business addresses only."""
    return company_domain(email, email_kind(email))


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
        account=account_at_start(lead),
    )


def account_at_start(lead: Lead) -> AccountClaim:
    """What the account check would answer a new lead, so its first rise asks nothing: of
    no account (never asks), or ask once its engagement could count in the buying group."""
    if lead.account_id is None:
        return AccountClaim()
    return AccountClaim(account_id=str(lead.account_id), ask_from=BUYING_GROUP.asks_over)


def _first_start(lead: Lead, settings: Settings) -> tuple[LeadInput, TypedSearchAttributes]:
    """A new lead's start input, its profile scored, and the search attributes it starts
    with (the same score)."""
    now = datetime.now(UTC)
    first = lead_index.scored_at_intake(input_of(lead, settings), now)
    return first, lead_index.at_start(first, now)


async def halted_how(client: Client, lead_id: object) -> str | None:
    """How the lead's (current) workflow run was closed, in the read model's words; None
    when it runs after all (a resume or reset won the race): the caller tries again."""
    described = await client.get_workflow_handle(lead_workflow_id(lead_id)).describe()
    if described.status == WorkflowExecutionStatus.RUNNING:
        return None
    return HALTED.get(described.status, "closed") if described.status else "closed"


async def _closed(client: Client, lead_id: object, again: Callable[[], Awaitable[object]]) -> None:
    """A start refused because the lead ran before: halted, unless it runs again by now."""
    how = await halted_how(client, lead_id)
    if how is None:
        try:
            await again()
            return
        except WorkflowAlreadyStartedError:
            how = await halted_how(client, lead_id) or "closed"
    raise LeadHalted(how)


async def enrol(
    client: Client, settings: Settings, lead: Lead, scenario: str | None = None
) -> LeadStatus | None:
    """Start the lead's workflow if needed, apply the profile, enter `scenario` when given
    (a known lead asking again: its re-enrolment policy decides), and return its state.

    None when no worker answered in time: the workflow is then durably started and
    will enrol the lead as soon as a worker runs. Raises LeadHalted.
    """
    first, attributes = _first_start(lead, settings)
    start = WithStartWorkflowOperation(
        LeadWorkflow.run,
        first,
        id=lead_workflow_id(lead.id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=ONCE,
        search_attributes=attributes,
    )
    try:
        return await client.execute_update_with_start_workflow(
            LeadWorkflow.enrol,
            EnrolRequest(profile=profile_of(lead), scenario=scenario),
            start_workflow_operation=start,
            rpc_timeout=timedelta(seconds=settings.intake_wait_seconds),
        )
    except WorkflowAlreadyStartedError:
        how = await halted_how(client, lead.id)
        if how is not None:
            raise LeadHalted(how) from None
        return await enrol(client, settings, lead, scenario)  # it runs again: once more
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        pass
    finally:
        # The start's own outcome is a future too; collect it so it is never left unread
        # ("Future exception was never retrieved" in the log of every 202).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(start.workflow_handle(), 1.0)
    await start_lead(client, settings, lead)
    return None


async def enrol_later(
    client: Client, settings: Settings, lead: Lead, request: EnrolRequest | None
) -> None:
    """Enrol the lead without waiting for a worker: done once the server holds the work.

    A new lead (`request` None) is a plain start: its run applies the profile and begins
    its scenario in its first workflow task, as the update would. A lead that may run
    already gets `request` by the intake signal (signal-with-start: it starts a lead whose
    workflow never ran). Raises LeadHalted.
    """
    if request is None:
        await start_lead(client, settings, lead)
    else:
        await _start_once(
            client, settings, lead, start_signal=INTAKE_SIGNAL, start_signal_args=[request]
        )


async def start_lead(client: Client, settings: Settings, lead: Lead) -> None:
    """Make sure the lead's workflow exists (the worker's reconciler, an intake that timed
    out). Raises LeadHalted when it ran and was closed."""
    await _start_once(
        client, settings, lead, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
    )


async def deliver_event(
    client: Client, settings: Settings, lead: Lead, event: BehaviourEvent
) -> None:
    """Durably hand one event to the lead's workflow (starting it if it never ran).
    Raises LeadHalted: the caller parks the event."""
    await _start_once(
        client, settings, lead, start_signal=BEHAVIOUR_SIGNAL, start_signal_args=[event]
    )


async def signal_unsubscribe(client: Client, settings: Settings, lead: Lead) -> None:
    """Tell the lead's workflow to stop all marketing mail now. Raises LeadHalted (the read
    model's unsubscribe then stands on its own, and a resumed lead takes no mail)."""
    await _start_once(client, settings, lead, start_signal=UNSUBSCRIBE_SIGNAL)


async def _start_once(client: Client, settings: Settings, lead: Lead, **how: Any) -> None:
    """Start (or signal-with-start) the lead's workflow, never a second life of it."""

    async def call() -> object:
        first, attributes = _first_start(lead, settings)
        return await client.start_workflow(
            LeadWorkflow.run,
            first,
            id=lead_workflow_id(lead.id),
            task_queue=settings.task_queue,
            id_reuse_policy=ONCE,
            search_attributes=attributes,
            **how,
        )

    try:
        await call()
    except WorkflowAlreadyStartedError:
        await _closed(client, lead.id, call)
