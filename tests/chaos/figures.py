"""The figure line: what a scenario's faults did to mail, events and leads, counted from
outside (the relay's receipts, the read model, Temporal and the API), never from logs.

- mails: one "thanks" is expected per lead row. delivered = distinct Message-IDs received;
  duplicates = receipts beyond the first per Message-ID, plus a second copy of a lead's
  step under another Message-ID; lost = expected mails neither received nor shown as
  uncertain, held or bounced in the outbox (a mail silently gone).
- events: lost = accepted but never applied (`lead_event`); double = applied more than
  once (the workflow's `events_applied` above what was sent, or the score above what the
  events add up to). forks = leads whose score or stage in the API disagrees with the
  workflow's, or whose score is below what their events add up to.
- orphans: lead rows without a running workflow, leaving out leads stopped on purpose.
- wft_failures: WorkflowTaskFailed events in the histories, except the server's own
  bookkeeping (a reset, a command racing a new event).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError

from nurture.models import LeadStatus, lead_workflow_id
from nurture.tables import EmailMessage, Lead, LeadEvent
from workflows.lead import LeadWorkflow

if TYPE_CHECKING:
    from tests.chaos.run import Run

RPC_TIMEOUT = timedelta(seconds=5)
SHOWN = {"uncertain", "held", "bounced"}  # not delivered, but visible: not lost
BENIGN_WFT = {
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE,
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
}
COUNTED = (
    "leads",
    "mails_expected",
    "delivered",
    "lost",
    "duplicates",
    "uncertain",
    "held",
    "bounced",
    "events_sent",
    "events_lost",
    "events_double",
    "orphans",
    "forks",
    "wft_failures",
)
FAILING = ("lost", "duplicates", "events_lost", "events_double", "orphans", "forks", "wft_failures")


@dataclass
class Figures:
    scenario: str
    leads: int = 0
    mails_expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    uncertain: int = 0
    held: int = 0
    bounced: int = 0
    events_sent: int = 0
    events_lost: int = 0
    events_double: int = 0
    orphans: int = 0
    forks: int = 0
    wft_failures: int = 0
    extras: dict[str, int | str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and not any(getattr(self, name) for name in FAILING)

    def line(self) -> str:
        counts = " ".join(f"{name}={getattr(self, name)}" for name in COUNTED)
        extras = "".join(f" {k}={v}" for k, v in self.extras.items())
        head = f"chaos {self.scenario}: {counts}{extras} seconds={self.seconds:.0f}"
        if self.ok:
            return f"{head} -> ok"
        why = [f"{name}={getattr(self, name)}" for name in FAILING if getattr(self, name)]
        seen = Counter(self.problems)
        why += [p if n == 1 else f"{p} (x{n})" for p, n in seen.items()]
        return f"{head} -> FAIL: {'; '.join(why)}"


@dataclass(frozen=True)
class Snapshot:
    """The read model's rows that the figures need."""

    leads: dict[str, Lead]
    mails: list[EmailMessage]
    applied: set[tuple[str, str]]  # (lead id, event id)


def snapshot(engine: Engine) -> Snapshot:
    with Session(engine) as session:
        leads = {str(r.id): r for r in session.exec(select(Lead)).all()}
        mails = list(session.exec(select(EmailMessage)).all())
        applied = {
            (str(lead), event)
            for lead, event in session.exec(select(LeadEvent.lead_id, LeadEvent.event_id)).all()
        }
    return Snapshot(leads, mails, applied)


async def collect(run: Run) -> Figures:
    """Count everything for the figure line; the scenario's own problems come along."""
    fig = Figures(run.name, extras=dict(run.ledger.extras), problems=list(run.ledger.problems))
    snap = await asyncio.to_thread(snapshot, run.engine)
    _mails(fig, snap, run.relay.counts())
    orphans = await _orphans(snap, run)
    fig.orphans = len(orphans)
    await _events_and_forks(fig, snap, run, skip=orphans | run.ledger.halted)
    await _wft_failures(fig, run.stack.client)
    if run.api.not_json_5xx:
        fig.problems.append(f"{run.api.not_json_5xx} 5xx answers were not the JSON envelope")
    return fig


def _mails(fig: Figures, snap: Snapshot, received: Counter[str]) -> None:
    fig.leads = len(snap.leads)
    fig.mails_expected = len(snap.leads)  # one "thanks" per lead
    fig.duplicates = sum(n - 1 for n in received.values() if n > 1)
    fig.uncertain = sum(m.status == "uncertain" for m in snap.mails)
    fig.held = sum(m.status == "held" for m in snap.mails)
    fig.bounced = sum(m.status == "bounced" for m in snap.mails)
    steps: dict[str, list[EmailMessage]] = {lead: [] for lead in snap.leads}
    for m in snap.mails:
        if m.kind == "nurture" and m.step == "thanks":
            steps.setdefault(str(m.lead_id), []).append(m)
    twice = 0
    for rows in steps.values():
        got = [m for m in rows if received[m.message_id]]
        fig.delivered += len(got)
        if len(got) > 1:
            twice += len(got) - 1
        if not got and not any(m.status in SHOWN for m in rows):
            fig.lost += 1
    if twice:
        fig.duplicates += twice
        fig.problems.append(f"{twice} lead(s) got their first mail again under a new Message-ID")


async def _events_and_forks(fig: Figures, snap: Snapshot, run: Run, skip: set[str]) -> None:
    ledger = run.ledger
    fig.events_sent = len(ledger.events)
    applied_halted = 0
    for event_id, (lead, _) in ledger.events.items():
        applied = (lead, event_id) in snap.applied
        if event_id in ledger.parked:
            applied_halted += applied
        elif not applied:
            fig.events_lost += 1
    if applied_halted:
        fig.problems.append(f"{applied_halted} event(s) for halted leads were applied anyway")
    unreadable = 0
    for lead_id in snap.leads:
        if lead_id in skip:  # no workflow to compare with
            continue
        wf, api = await workflow_status(run.stack.client, lead_id), await run.api.lead(lead_id)
        if wf is None or api is None:
            unreadable += 1
            continue
        short = False
        if lead_id in ledger.leads:  # a lead whose intake answer the scenario saw
            sent = len(ledger.events_of(lead_id))
            score_off = api["score"] - ledger.expected_score(lead_id)
            fig.events_double += max(wf.events_applied - sent, score_off, 0)
            short = score_off < 0  # points lost somewhere (a run restarted from zero)
        # With sales, the handoff writes the lead's stage: the workflow's own stays mql.
        stage_off = not wf.with_sales and api["stage"] != wf.stage.value
        if short or api["score"] != wf.score or stage_off:
            fig.forks += 1
    if unreadable:
        fig.problems.append(f"state of {unreadable} lead(s) unreadable (API or workflow query)")


async def workflow_status(client: Client, lead_id: str) -> LeadStatus | None:
    """The lead workflow's own view (query); None when it cannot answer now."""
    handle = client.get_workflow_handle_for(LeadWorkflow.run, lead_workflow_id(lead_id))
    try:
        return await handle.query(LeadWorkflow.status, rpc_timeout=RPC_TIMEOUT)
    except (RPCError, WorkflowQueryFailedError, TimeoutError):
        return None


async def _orphans(snap: Snapshot, run: Run) -> set[str]:
    """Lead rows without a running workflow (leads halted on purpose left out)."""
    found = set()
    for lead_id in snap.leads:
        if lead_id in run.ledger.halted:
            continue
        handle = run.stack.client.get_workflow_handle(lead_workflow_id(lead_id))
        try:
            status = (await handle.describe(rpc_timeout=RPC_TIMEOUT)).status
        except RPCError:
            status = None
        if status != WorkflowExecutionStatus.RUNNING:
            found.add(lead_id)
    return found


async def _wft_failures(fig: Figures, client: Client) -> None:
    causes: Counter[str] = Counter()
    async for wf in client.list_workflows():
        handle = client.get_workflow_handle(wf.id, run_id=wf.run_id)
        async for event in handle.fetch_history_events():
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                continue
            cause = event.workflow_task_failed_event_attributes.cause
            if cause not in BENIGN_WFT:
                name = WorkflowTaskFailedCause.Name(cause).removeprefix(
                    "WORKFLOW_TASK_FAILED_CAUSE_"
                )
                causes[name.lower()] += 1
    fig.wft_failures = sum(causes.values())
    if causes:
        fig.problems.append(
            "workflow tasks failed: " + ", ".join(f"{c} x{n}" for c, n in causes.items())
        )
