"""Record workflow histories for the replay test: `.venv/bin/python -m tests.histories.record`.

Record with the code that runs in production, BEFORE changing workflow or scenario code:
the replay test then proves the new code still replays what production wrote. Existing
files are never overwritten (they stand for leads already in flight); pass new names.

    .venv/bin/python -m tests.histories.record            # every recording below not yet on disk
    .venv/bin/python -m tests.histories.record v3-trial   # after adding a recording named so

`handoff-won`, `whitepaper-quiet` and `whitepaper-won` were recorded before the
`lead-long-lived-v2` patch; `v2-*` after it; `v3-*` after `handoff-notices-aside`, with the
mail fates and ops stop of 2026-12-01. `v3-goal-decayed-unsubscribed`, `v3-recycled`,
`v3-sales-run-*` and `v3-resumed-with-sales` were recorded by the same code, before the lead
workflow's state became one object (issue 10): the paths that change touched; `v4-*` are the
same paths (and an ops stop) recorded by the code after it. `v5-waited-for-rep-*` and
`v5-reassigned-*` are the paths `handoff-visible-state` added (issue 11): a lead that waited
for a rep, a manager's reassignment; `v5-handoff-chat-won` was recorded after
`handoff-chat`, with NURTURE_SLACK_WEBHOOK_URL set: the notices go to Slack.
`v5-deferred-then-qualified` (a lead whose deferred thank-you it qualified before) was
recorded before `deferred-step-not-sent-note`, `v6-deferred-then-qualified` after it.
`v7-*` were recorded after `lead-records-batched` and `handoff-start-state` (issue 13: a
task's writes in one local activity, one upsert per task, one patch marker per run):
`v7-intake-asleep` is a lead taken in as the API does it (its search attributes set at the
start) to its first mail and asleep; `v7-continued-run-1`/`-2` a run that continues as new
after a burst of events whose writes it held, and the run after it.
`v8-intake-asleep` and `v8-bulk-started` (a plain start, then the intake signal) were
recorded after the starter began to score a new lead's profile into its start input.
`v9-*` were recorded after `handoff-records-lead-stage` (issue 13: the handoff writes the
lead's sales stage itself; the lead hears only how it ended): won, recycled, waited for a
rep, reassigned, with sales across runs, resumed with sales.
`v10-*` were recorded after `lead-fit-engagement` (issue 14: the score's two axes as the
search attributes FitGrade and Engagement): taken in by the API, won, continued as new
(both runs), recycled, decayed and unsubscribed.
`v11-*` were recorded after `lead-account-handoff` (issue 14: an engaged lead asks whether
its account's buying group is ready): the person who carried the account to sales (won)
and the other engaged person, taken in by the API, won, recycled, continued as new;
`v11-told-*` the same two people started as the API starts a lead since then, told their
account in the start input (the first rise asks nothing).
`v6-intake-signalled` is the intake signal bulk intake and CDP identify send a known lead
(issue 13): a new profile, a scenario entered, the same asked again; recorded before
`lead-records-batched`, `v7-intake-signalled` after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from nurture import search_attributes
from nurture.binaries import find_binary
from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.models import (
    REASSIGN_UPDATE,
    REPS_AVAILABLE_SIGNAL,
    EnrolRequest,
    HandoffState,
    ReassignRequest,
    SalesAction,
    StopRequest,
    lead_workflow_id,
)
from nurture.orchestration import lead_ops, lead_runs
from nurture.orchestration.lead_runs import company_of, profile_of
from nurture.repo import leads as leads_repo
from nurture.repo import reps
from nurture.settings import RepConfig, Settings
from nurture.temporal import register_search_attributes
from tests.utils.clock import skip_to
from tests.utils.factories import COLD_PROFILE, HOT_PROFILE, event, make_lead, start_lead
from tests.utils.http_receiver import HttpReceiver
from worker import build_worker, prepare_database
from workflows.handoff import SalesHandoffWorkflow
from workflows.lead import LeadWorkflow

HERE = Path(__file__).parent
DAY = timedelta(days=1)
Recording = Callable[[WorkflowEnvironment, Settings, Engine], Awaitable[dict[str, WorkflowHistory]]]


async def _long_term(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A quiet lead: whitepaper, then the newsletter; behaviour now and then; re-enrolled."""
    lead = make_lead(engine, **COLD_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await env.sleep(DAY)
    await handle.signal(LeadWorkflow.behaviour, event("page_view", path="/blog/a"))
    await env.sleep(40 * DAY)
    await handle.signal(LeadWorkflow.behaviour, event("case_study_download"))
    await handle.execute_update(
        LeadWorkflow.enrol, EnrolRequest(profile=profile_of(lead), scenario="webinar")
    )
    await env.sleep(30 * DAY)
    return {"v2-whitepaper-longterm": await handle.fetch_history()}


async def _continued(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A run that began from another run's carried state, mid-wait."""
    lead = make_lead(engine, **COLD_PROFILE)
    handle = await start_lead(env.client, s, lead, continue_as_new_after=40)
    await env.sleep(DAY)
    for n in range(30):
        await handle.signal(LeadWorkflow.behaviour, event("page_view", path=f"/p/{n}"))
    await env.sleep(10 * DAY)
    first = await env.client.get_workflow_handle(
        handle.id, run_id=handle.first_execution_run_id
    ).fetch_history()
    second_run = first.events[
        -1
    ].workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    second = env.client.get_workflow_handle(handle.id, run_id=second_run)
    return {"v2-continued": await second.fetch_history()}


async def _won(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A hot lead handed to sales, acknowledged and won; the handoff tells it by signal."""
    lead = make_lead(engine, **HOT_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await env.sleep(DAY)
    await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
    await env.sleep(timedelta(minutes=5))
    handoff = env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, f"handoff-{lead.id}-1")
    with session_scope(engine) as session:
        rep_id = str(reps.find_rep(session, "rep@sales.example.com").id)
    await handoff.execute_update(SalesHandoffWorkflow.ack, SalesAction(rep_id=rep_id))
    await handoff.execute_update(
        SalesHandoffWorkflow.won, SalesAction(rep_id=rep_id, amount=1_000_000)
    )
    await env.sleep(10 * DAY)
    return {
        "v2-whitepaper-won": await handle.fetch_history(),
        "v2-handoff-won": await handoff.fetch_history(),
    }


async def _won_v3(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """As `_won`, after `handoff-notices-aside`: the rep's mail goes beside the SLA clock."""
    histories = await _won(env, s, engine)
    return {
        "v3-whitepaper-won": histories["v2-whitepaper-won"],
        "v3-handoff-won": histories["v2-handoff-won"],
    }


async def _chat_won(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """As `_won`, with Slack set up (a local receiver): the assignment is posted beside the
    mail; a worker of its own, on its own task queue, has the Slack URL."""
    with HttpReceiver(otherwise=HTTPStatus.OK, answer=b"ok") as slack:
        url = SecretStr(slack.url)
        queue = f"{s.task_queue}-chat"
        chatty = Settings.model_validate(
            {**s.model_dump(), "slack_webhook_url": url, "task_queue": queue}
        )
        async with build_worker(env.client, chatty, engine):
            histories = await _won(env, chatty, engine)
        if not slack.received:
            raise RuntimeError("the handoff posted nothing to Slack: not a chat recording")
    return {"v5-handoff-chat-won": histories["v2-handoff-won"]}


async def _stopped(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A lead ops stopped with `nurture leads stop` while its scenario waited."""
    lead = make_lead(engine, **COLD_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await env.sleep(DAY)
    await handle.signal(LeadWorkflow.behaviour, event("page_view", path="/blog/b"))
    await env.sleep(timedelta(minutes=5))
    await handle.execute_update(LeadWorkflow.stop, StopRequest(reason="asked us to stop"))
    await handle.result()
    return {"v3-stopped": await handle.fetch_history()}


async def _goal(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A quiet lead books a meeting, the whitepaper's goal: on to the long-term track; its
    behaviour points decay after 90 quiet days; then it unsubscribes."""
    lead = make_lead(engine, **COLD_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await env.sleep(DAY)
    await handle.signal(LeadWorkflow.behaviour, event("meeting_booked"))
    await env.sleep(100 * DAY)
    await handle.signal(LeadWorkflow.unsubscribe)
    await env.sleep(40 * DAY)
    return {"v3-goal-decayed-unsubscribed": await handle.fetch_history()}


def _rep_id(engine: Engine) -> str:
    with session_scope(engine) as session:
        return str(reps.find_rep(session, "rep@sales.example.com").id)


async def _recycled(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A hot lead rejected by sales: behaviour points reset, the recycle track's check-in."""
    lead = make_lead(engine, **HOT_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await env.sleep(DAY)
    await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
    await env.sleep(timedelta(minutes=5))
    handoff = env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, f"handoff-{lead.id}-1")
    await handoff.execute_update(
        SalesHandoffWorkflow.reject, SalesAction(rep_id=_rep_id(engine), reason="bad_timing")
    )
    await env.sleep(35 * DAY)
    return {"v3-recycled": await handle.fetch_history()}


async def _runs(env: WorkflowEnvironment, workflow_id: str, first_run: str) -> list[Any]:
    """The histories of a workflow's runs, first to last."""
    histories = []
    run_id: str | None = first_run
    while run_id:
        history = await env.client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    return histories


async def _until_handoff(env: WorkflowEnvironment, handoff_id: str) -> None:
    for _ in range(200):
        with contextlib.suppress(RPCError):
            await env.client.get_workflow_handle(handoff_id).describe()
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{handoff_id} never started")


async def _sales_across_runs(
    env: WorkflowEnvironment, s: Settings, engine: Engine
) -> dict[str, Any]:
    """A lead with sales continues as new (events keep coming); the handoff's end reaches
    its next run by signal. On the dev server: the time-skipping server mishandles signals
    that arrive while a run continues as new, and stops skipping time once a handoff
    outlives its parent run."""
    lead = make_lead(engine, **HOT_PROFILE)
    handle = await start_lead(env.client, s, lead, continue_as_new_after=60)
    await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
    handoff_id = f"handoff-{lead.id}-1"
    await _until_handoff(env, handoff_id)
    for n in range(12):  # one at a time, with gaps: a flood holds continue-as-new back
        await handle.signal(LeadWorkflow.behaviour, event("page_view", path=f"/docs/{n}"))
        await asyncio.sleep(0.3)
    handoff = env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff_id)
    rep_id = _rep_id(engine)
    await handoff.execute_update(SalesHandoffWorkflow.ack, SalesAction(rep_id=rep_id))
    await handoff.execute_update(SalesHandoffWorkflow.won, SalesAction(rep_id=rep_id, amount=500))
    await asyncio.sleep(1.0)
    runs = await _runs(env, handle.id, handle.first_execution_run_id or "")
    return {f"v3-sales-run-{n}": h for n, h in enumerate(runs, start=1)}


async def _resumed(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A lead ops terminated while with sales, resumed from its record (`nurture leads
    resume`): the new run asks where the handoff stands, takes it over, hears it won. On
    the dev server: the time-skipping server stops skipping time once a handoff outlives
    its parent run."""
    lead = make_lead(engine, **HOT_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
    handoff_id = f"handoff-{lead.id}-1"
    await _until_handoff(env, handoff_id)
    await asyncio.sleep(0.5)
    await handle.terminate("ops: worker host retired")
    await lead_ops.resume(env.client, s, engine, lead.id)
    await asyncio.sleep(0.5)
    handoff = env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff_id)
    rep_id = _rep_id(engine)
    await handoff.execute_update(SalesHandoffWorkflow.ack, SalesAction(rep_id=rep_id))
    await handoff.execute_update(SalesHandoffWorkflow.won, SalesAction(rep_id=rep_id, amount=500))
    await asyncio.sleep(1.0)
    resumed = env.client.get_workflow_handle(handle.id)  # the run resume started
    return {"v3-resumed-with-sales": await resumed.fetch_history()}


async def _waited_for_rep(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A hot lead nobody could take (the one rep disabled): it waits visibly, retries on the
    hour, and is assigned when the rep is enabled and the handoff told; then won."""
    with session_scope(engine) as session:
        reps.find_rep(session, "rep@sales.example.com").active = False
    lead = make_lead(engine, **HOT_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await env.sleep(DAY)
    await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
    handoff = env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, f"handoff-{lead.id}-1")
    await _until_handoff(env, handoff.id)
    await env.sleep(timedelta(hours=2))  # two hourly tries find nobody
    with session_scope(engine) as session:
        reps.find_rep(session, "rep@sales.example.com").active = True
    await handoff.signal(REPS_AVAILABLE_SIGNAL)
    await env.sleep(timedelta(minutes=5))
    rep_id = _rep_id(engine)
    await handoff.execute_update(SalesHandoffWorkflow.ack, SalesAction(rep_id=rep_id))
    await handoff.execute_update(
        SalesHandoffWorkflow.won, SalesAction(rep_id=rep_id, amount=1_000_000, via="link")
    )
    await env.sleep(10 * DAY)
    return {
        "v5-waited-for-rep-lead": await handle.fetch_history(),
        "v5-waited-for-rep-handoff": await handoff.fetch_history(),
    }


async def _reassigned(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A manager moves a pending handoff to a second rep, who acknowledges it; then lost."""
    with session_scope(engine) as session:
        other = reps.add_rep(session, name="Rep B", email="rep.b@sales.example.com")[0]
        other.last_assigned_at = datetime(2100, 1, 1, tzinfo=UTC)  # not in turn first
        other_id = str(other.id)
    lead = make_lead(engine, **HOT_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await env.sleep(DAY)
    await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
    handoff = env.client.get_workflow_handle_for(SalesHandoffWorkflow.run, f"handoff-{lead.id}-1")
    await _until_handoff(env, handoff.id)
    await env.sleep(timedelta(minutes=30))
    await handoff.execute_update(
        REASSIGN_UPDATE,
        ReassignRequest(to_rep_id=other_id, by="manager:recording", note="Rep is out today"),
        result_type=HandoffState,
    )
    await env.sleep(timedelta(minutes=30))
    await handoff.execute_update(
        SalesHandoffWorkflow.ack, SalesAction(rep_id=other_id, via="workspace")
    )
    await handoff.execute_update(
        SalesHandoffWorkflow.lost,
        SalesAction(rep_id=other_id, reason="competitor", via="workspace"),
    )
    await env.sleep(10 * DAY)
    return {
        "v5-reassigned-lead": await handle.fetch_history(),
        "v5-reassigned-handoff": await handoff.fetch_history(),
    }


async def _deferred_then_qualified(
    env: WorkflowEnvironment, s: Settings, engine: Engine
) -> dict[str, Any]:
    """A hot lead arriving on a Saturday night in Tokyo: its thank-you waits for Monday, and
    it qualifies first; the deferred step is not sent (after `deferred-step-not-sent-note`
    the timeline says so)."""
    await skip_to(env, 5, 22)
    lead = make_lead(engine, timezone="Asia/Tokyo", **HOT_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await env.sleep(timedelta(minutes=30))
    await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
    await env.sleep(timedelta(minutes=5))
    return {"deferred-then-qualified": await handle.fetch_history()}


async def _intake_asleep(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A lead taken in as the API takes it (update-with-start, its search attributes set at
    the start), to its first mail and asleep after it (the send window off: not held)."""
    lead = make_lead(engine, **COLD_PROFILE)
    anytime = s.model_copy(update={"send_window": False})
    status = await lead_runs.enrol(env.client, anytime, lead)
    if status is None:
        raise RuntimeError("the intake update was not answered")
    handle = env.client.get_workflow_handle(lead_workflow_id(lead.id))
    for _ in range(100):  # the dev server does not skip time: wait for the mail's send
        await asyncio.sleep(0.1)
        history = await handle.fetch_history()
        if any(e.HasField("activity_task_completed_event_attributes") for e in history.events):
            break
    await asyncio.sleep(1.0)  # the task after the mail, and the scenario's timer
    return {"v7-intake-asleep": await handle.fetch_history()}


async def _continued_runs(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """As `_continued`, both runs: the first continues as new right after a burst of events
    whose writes it held (it hands over only once they are written)."""
    lead = make_lead(engine, **COLD_PROFILE)
    handle = await start_lead(env.client, s, lead, continue_as_new_after=40)
    await env.sleep(DAY)
    for n in range(30):
        await handle.signal(LeadWorkflow.behaviour, event("page_view", path=f"/p/{n}"))
    await env.sleep(10 * DAY)
    first = await env.client.get_workflow_handle(
        handle.id, run_id=handle.first_execution_run_id
    ).fetch_history()
    second_run = first.events[
        -1
    ].workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    second = env.client.get_workflow_handle(handle.id, run_id=second_run)
    return {"v7-continued-run-1": first, "v7-continued-run-2": await second.fetch_history()}


def _named(recording: Recording, era: str) -> Recording:
    """A recording whose files are prefixed with the era of the code that made it."""

    async def record(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
        return {f"{era}-{k}": v for k, v in (await recording(env, s, engine)).items()}

    return record


def _renamed(recording: Recording, prefix: str) -> Recording:
    """A recording made again, its files named `prefix-` + the name after the era."""

    async def renamed(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
        recorded = await recording(env, s, engine)
        return {f"{prefix}-{name.split('-', 1)[1]}": h for name, h in recorded.items()}

    return renamed


def _again(recording: Recording, era: str) -> Recording:
    """A recording made again by later code, its files named for that code's era."""

    async def again(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
        recorded = await recording(env, s, engine)
        return {f"{era}-{name.split('-', 1)[1]}": h for name, h in recorded.items()}

    return again


async def _intake_signalled(
    env: WorkflowEnvironment, s: Settings, engine: Engine
) -> dict[str, Any]:
    """A lead of a bulk intake (a plain start), told by the intake signal, as a re-import
    or a CDP's identify tells it: a new title (the profile's points), the webinar scenario
    asked for (entered), and the same again (already in it)."""
    lead = make_lead(engine, **COLD_PROFILE)
    handle = await start_lead(env.client, s, lead)
    await env.sleep(DAY)
    hot = make_lead(engine, email=lead.email, **HOT_PROFILE)
    request = EnrolRequest(profile=profile_of(hot), scenario="webinar")
    await handle.signal(LeadWorkflow.intake, request)
    await env.sleep(timedelta(hours=1))
    await handle.signal(LeadWorkflow.intake, request)
    await env.sleep(2 * DAY)
    return {"v6-intake-signalled": await handle.fetch_history()}


async def _bulk_started(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """A lead of a bulk intake as the API starts it (a plain start, the profile scored by
    the starter), told again by the intake signal a day later (a new title)."""
    lead = make_lead(engine, **COLD_PROFILE)
    await lead_runs.enrol_later(env.client, s, lead, None)
    handle = env.client.get_workflow_handle(lead_workflow_id(lead.id))
    await env.sleep(DAY)
    hot = make_lead(engine, email=lead.email, **HOT_PROFILE)
    await handle.signal(LeadWorkflow.intake, EnrolRequest(profile=profile_of(hot)))
    await env.sleep(2 * DAY)
    return {"v8-bulk-started": await handle.fetch_history()}


async def _account(env: WorkflowEnvironment, s: Settings, engine: Engine) -> dict[str, Any]:
    """Two people of one company, each engaged by a webinar: the second one's check finds
    the buying group ready and carries the account to sales (a score of 20, under the MQL
    threshold); acknowledged and won, the claim ends. The first one asked and was told the
    group was not ready yet, then that the account is with sales."""
    people = []
    domain = f"kogyo-{uuid.uuid4().hex[:6]}.co.jp"  # a company of its own each recording
    for n, email in enumerate((f"first@{domain}", f"second@{domain}")):
        with session_scope(engine) as session:
            lead, _ = leads_repo.upsert_lead(
                session, email, "whitepaper", {**COLD_PROFILE, "name": f"P{n}"}, company_of(email)
            )
        people.append(lead)
    handles = [await start_lead(env.client, s, p) for p in people]
    for handle in handles:
        await env.sleep(DAY)
        await handle.signal(LeadWorkflow.behaviour, event("webinar_attended"))
    await env.sleep(timedelta(minutes=5))
    await handles[0].signal(LeadWorkflow.behaviour, event("case_study_download"))
    await env.sleep(timedelta(minutes=5))
    carrier = people[1]
    handoff = env.client.get_workflow_handle_for(
        SalesHandoffWorkflow.run, f"handoff-{carrier.id}-1"
    )
    rep = SalesAction(rep_id=_rep_id(engine))
    await handoff.execute_update(SalesHandoffWorkflow.ack, rep)
    await handoff.execute_update(
        SalesHandoffWorkflow.won, SalesAction(rep_id=rep.rep_id, amount=2_000_000)
    )
    await env.sleep(10 * DAY)
    return {
        "v11-account-carrier-won": await handles[1].fetch_history(),
        "v11-account-member": await handles[0].fetch_history(),
    }


# Recorded on the real dev server (the rest on the time-skipping server).
ON_DEV_SERVER = {
    "v3-sales-run-1",
    "v3-resumed-with-sales",
    "v4-sales-run-1",
    "v4-resumed-with-sales",
    "v7-intake-asleep",
    "v8-intake-asleep",
    "v9-sales-run-1",
    "v9-resumed-with-sales",
    "v10-intake-asleep",
    "v11-intake-asleep",
}
RECORDINGS: dict[str, Recording] = {
    "v2-whitepaper-longterm": _long_term,
    "v2-continued": _continued,
    "v2-whitepaper-won": _won,
    "v3-whitepaper-won": _won_v3,
    "v3-stopped": _stopped,
    "v3-goal-decayed-unsubscribed": _goal,
    "v3-recycled": _recycled,
    "v3-sales-run-1": _sales_across_runs,
    "v3-resumed-with-sales": _resumed,
    "v4-goal-decayed-unsubscribed": _again(_goal, "v4"),
    "v4-recycled": _again(_recycled, "v4"),
    "v4-stopped": _again(_stopped, "v4"),
    "v4-sales-run-1": _again(_sales_across_runs, "v4"),
    "v4-resumed-with-sales": _again(_resumed, "v4"),
    "v5-waited-for-rep-lead": _waited_for_rep,
    "v5-reassigned-lead": _reassigned,
    "v5-handoff-chat-won": _chat_won,
    "v5-deferred-then-qualified": _named(_deferred_then_qualified, "v5"),
    "v6-deferred-then-qualified": _named(_deferred_then_qualified, "v6"),
    # lead-records-batched and handoff-start-state (issue 13): one marker, one write and one
    # upsert per task; the handoff's state set at its start.
    "v7-intake-asleep": _intake_asleep,
    "v7-whitepaper-won": _again(_won, "v7"),
    "v7-continued-run-1": _continued_runs,
    "v7-stopped": _again(_stopped, "v7"),
    "v7-deferred-then-qualified": _named(_deferred_then_qualified, "v7"),
    "v7-waited-for-rep-lead": _again(_waited_for_rep, "v7"),
    "v6-intake-signalled": _intake_signalled,
    "v7-intake-signalled": _again(_intake_signalled, "v7"),
    # The intake's score from the starter, in the start input (issue 13: no scoring
    # activity in a new lead's first task).
    "v8-intake-asleep": _again(_intake_asleep, "v8"),
    "v8-bulk-started": _bulk_started,
    # handoff-records-lead-stage (issue 13): the handoff writes the lead's sales stage with
    # its own records and tells the lead only the end (and a wait for a rep, and its end).
    "v9-whitepaper-won": _again(_won, "v9"),
    "v9-waited-for-rep-lead": _again(_waited_for_rep, "v9"),
    "v9-reassigned-lead": _again(_reassigned, "v9"),
    "v9-recycled": _again(_recycled, "v9"),
    "v9-sales-run-1": _again(_sales_across_runs, "v9"),
    "v9-resumed-with-sales": _again(_resumed, "v9"),
    # lead-fit-engagement (issue 14): FitGrade and Engagement set at the start and upserted
    # with the task's flush; one marker per run (before lead-records-batched).
    "v10-intake-asleep": _again(_intake_asleep, "v10"),
    "v10-whitepaper-won": _again(_won, "v10"),
    "v10-continued-run-1": _again(_continued_runs, "v10"),
    "v10-recycled": _again(_recycled, "v10"),
    "v10-goal-decayed-unsubscribed": _again(_goal, "v10"),
    # lead-account-handoff (issue 14): an engaged lead asks whether its account's buying
    # group is ready, and may carry the account to sales; one marker per run.
    "v11-account-carrier-won": _account,
    "v11-intake-asleep": _again(_intake_asleep, "v11"),
    "v11-whitepaper-won": _again(_won, "v11"),
    "v11-recycled": _again(_recycled, "v11"),
    "v11-continued-run-1": _again(_continued_runs, "v11"),
    # The same two people, started as the API now starts a lead: told its account (and
    # when asking is worth it) in its start input, so the first rise asks nothing.
    "v11-told-account-carrier-won": _renamed(_account, "v11-told"),
}


async def main(names: list[str]) -> None:
    wanted = names or [n for n in RECORDINGS if not (HERE / f"{n}.json").exists()]
    unknown = [n for n in wanted if n not in RECORDINGS]
    if unknown:
        raise SystemExit(f"no recording named {', '.join(unknown)}; known: {', '.join(RECORDINGS)}")
    for on_dev_server in (False, True):
        batch = [n for n in wanted if (n in ON_DEV_SERVER) == on_dev_server]
        if batch:
            await _record(batch, on_dev_server)


async def _record(names: list[str], on_dev_server: bool) -> None:
    if on_dev_server:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=find_binary("temporal"),
            data_converter=pydantic_data_converter,
            search_attributes=list(search_attributes.ALL),
            dev_server_log_level="error",
            ui=False,
        )
    else:
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=find_binary("temporal-test-server"),
            data_converter=pydantic_data_converter,
        )
        await register_search_attributes(env.client)
    with tempfile.TemporaryDirectory() as tmp, MailSink() as sink:
        settings = Settings(
            env="dev",
            database_url=f"sqlite:///{tmp}/h.db",
            smtp_host=sink.host,
            smtp_port=sink.port,
            task_queue=f"record-{uuid.uuid4()}",
            send_window=True,
            sales_reps=[RepConfig(name="Rep", email="rep@sales.example.com")],
        )
        engine = prepare_database(settings)
        async with build_worker(env.client, settings, engine):
            for name in names:
                for file, history in (await RECORDINGS[name](env, settings, engine)).items():
                    path = HERE / f"{file}.json"
                    if path.exists():
                        print(f"kept {path.name}: never overwritten")  # noqa: T201
                        continue
                    path.write_text(history.to_json())
                    print(f"recorded {path.name} ({len(history.events)} events)")  # noqa: T201
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
