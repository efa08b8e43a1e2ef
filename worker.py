"""The nurture worker: runs lead and handoff workflows and their activities.

`nurture worker` starts it from NURTURE_* settings alone (`--processes N`: N of them on one
task queue, see `run_processes`); tests build one with `build_worker` on their own task queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.plugin import SimplePlugin
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.accounts import AccountActivities
from activities.assignment import AssignmentActivities
from activities.chat import ChatActivities
from activities.email import EmailActivities
from activities.handoff_lookup import HandoffLookupActivities
from activities.read_model import ReadModelActivities
from activities.sales_webhook import SalesWebhookActivities, webhook_client
from activities.scoring import apply_scoring, scoring_under
from nurture.db import create_schema, make_engine, session_scope
from nurture.orchestration.reconciler import Reconciler
from nurture.orchestration.rep_availability import wake_waiting
from nurture.repo import reps
from nurture.rules.accounts import BuyingGroup
from nurture.rules.scoring import ScoringModel
from nurture.scenario_check import check_workflow_code
from nurture.settings import Settings, get_settings
from nurture.temporal import connect, missing_search_attributes
from scenarios.scoring import BUYING_GROUP, MODEL
from workflows.registry import WORKFLOWS, workflow_runner

log = logging.getLogger("nurture.worker")


def build_worker(
    client: Client,
    settings: Settings,
    engine: Engine,
    *,
    task_queue: str | None = None,
    executor: ThreadPoolExecutor | None = None,
    scoring_model: ScoringModel | None = None,
    buying_group: BuyingGroup | None = None,
) -> Worker:
    """`scoring_model`: score leads by this model instead of `scenarios/scoring.py`'s (tests
    of a candidate model on the real workflow); `buying_group`: likewise for the account
    handoff's rule."""
    read_model = ReadModelActivities(engine)
    email = EmailActivities(engine, settings)
    assignment = AssignmentActivities(engine, chat=settings.slack_webhook_url is not None)
    http = webhook_client()
    sales_webhook = SalesWebhookActivities(engine, settings, http)
    chat = ChatActivities(engine, settings, http)
    lookup = HandoffLookupActivities(client)
    accounts = AccountActivities(
        engine, group=buying_group or BUYING_GROUP, model=scoring_model or MODEL
    )
    # A thread for every activity that may run at once (the read-model writes and scoring
    # are sync; the sends async, on the event loop): never an activity waiting for a thread.
    threads = settings.worker_activities + settings.worker_local_activities
    owned = None if executor is not None else ThreadPoolExecutor(max_workers=threads)
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            read_model.record_score,
            read_model.record_stage,
            read_model.record_step,
            read_model.record_note,
            read_model.record_lead,
            read_model.record_handoff,
            read_model.record_split,
            read_model.record_sent,
            apply_scoring if scoring_model is None else scoring_under(scoring_model),
            email.send_step,
            email.notify_rep,
            email.notify_no_rep,
            assignment.assign_rep,
            sales_webhook.post_handoff_event,
            chat.post_chat,
            lookup.look_up_handoff,
            read_model.record_halt,
            read_model.record_send_failed,
            accounts.check_account,
            accounts.end_account_handoff,
        ],
        activity_executor=executor or owned,
        workflow_runner=workflow_runner(settings.workflow_runner),
        # Few of each at once: activations, activity threads and the event loop (where the
        # sends run and heartbeat) share one GIL. Activations must finish within the SDK's
        # fixed 2 s deadlock timer (a burst of 30 new leads in 30 threads did not); 64
        # activities and 100 local activities at once (the old figure, the SDK's default)
        # starved the loop: sends missed their 10 s heartbeat and were cancelled, and first
        # workflow tasks waited on local-activity threads past their timeout.
        max_concurrent_workflow_tasks=settings.worker_workflow_tasks,  # and as many threads
        max_concurrent_activities=settings.worker_activities,
        max_concurrent_local_activities=settings.worker_local_activities,
        # A send's heartbeat reaches the server at most 2 s apart, not every 8 s (the SDK's
        # 0.8 x its 10 s timeout): on a busy machine a 2 s late event loop or a slow server
        # no longer times the send out, which left its mail's fate unknown (not re-sent).
        max_heartbeat_throttle_interval=timedelta(seconds=2),
        # Let in-flight sends finish on shutdown instead of cancelling them mid-SMTP.
        graceful_shutdown_timeout=timedelta(seconds=45),
        plugins=[_closing(http, owned)],
    )


def _closing(http: httpx.AsyncClient, executor: ThreadPoolExecutor | None) -> SimplePlugin:
    """Close the worker's HTTP client and its own activity threads once the worker has
    stopped, however it is run (`async with`, `run()`, a fatal error): the SDK runs a
    plugin's context around the run and `async with` waits for it on exit."""

    @asynccontextmanager
    async def run_context() -> AsyncIterator[None]:
        try:
            yield
        finally:
            await http.aclose()
            if executor is not None:
                executor.shutdown(wait=False)

    return SimplePlugin("nurture.close-http-client", run_context=run_context)


def prepare_database(settings: Settings) -> Engine:
    """Create the schema and sync the configured sales reps."""
    engine = make_engine(settings.database_url)
    create_schema(engine)
    with session_scope(engine) as session:
        reps.sync_from_config(session, settings.sales_reps, dev_tokens=settings.env == "dev")
    return engine


def refuse_unchecked_workflow_code(settings: Settings) -> None:
    """Without the SDK's sandbox, nothing at run time stops workflow or scenario code from
    reading the clock or doing I/O: start only when the static check finds none."""
    if settings.workflow_runner != "unsandboxed":
        return
    report = check_workflow_code()
    if not report.ok:
        lines = "\n".join(f"  {finding}" for finding in report.findings)
        raise SystemExit(
            f"NURTURE_WORKFLOW_RUNNER=unsandboxed, but workflow or scenario code would break "
            f"leads on replay (`nurture check` tells the same):\n{lines}\n"
            "Fix the code, or run the worker with NURTURE_WORKFLOW_RUNNER=sandbox."
        )


async def run(settings: Settings, *, process_index: int | None = None) -> None:
    """One worker process. `process_index` is set in a child of `run_processes`: the parent
    prepared the database, and only child 0 runs the once-per-deployment loops."""
    refuse_unchecked_workflow_code(settings)
    if process_index is None:
        engine = prepare_database(settings)
    else:
        engine = make_engine(settings.database_url)
    once_per_deployment = process_index in (None, 0)
    client = await connect(settings)
    missing = await missing_search_attributes(client)
    if missing:
        raise SystemExit(
            f"Temporal namespace {settings.temporal_namespace!r} at {settings.temporal_address} "
            f"lacks nurture's search attributes {', '.join(missing)}. Register them, e.g. "
            "`temporal operator search-attribute create --name LeadScore --type Int` "
            "(see README, 'Production')."
        )
    worker = build_worker(client, settings, engine)
    if once_per_deployment:
        with contextlib.suppress(RPCError):  # the configured reps may be new: waiting leads try
            await wake_waiting(client, again_after=0)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "worker polling task queue %s on %s (workflow runner: %s)",
        settings.task_queue,
        settings.temporal_address,
        settings.workflow_runner,
    )
    # What start-up made (modules, pydantic and SQLAlchemy structures, the SDK's) lives as
    # long as the process: out of the collector's sight, a full collection no longer walks
    # those hundreds of thousands of objects again and again while leads come in.
    gc.freeze()
    async with worker:
        if once_per_deployment:
            # Safe to run in several workers (idempotent starts), but once per host is enough.
            await Reconciler(client, settings, engine).run(stop)
        else:
            await stop.wait()
    engine.dispose()
    log.info("worker stopped")


CHILD_POLL_SECONDS = 0.2


def run_processes(settings: Settings, processes: int) -> int:
    """`nurture worker --processes N`: N worker processes on one task queue, each with its
    own Temporal client, database engine and GIL (a worker's Python is what limits intake).

    This process prepares the database once (migrations are not raced), then only supervises:
    SIGTERM/SIGINT are passed to every child and it waits for them (each drains its in-flight
    sends); a child that dies unasked stops the others the same way and the exit status is 1,
    so the service manager restarts the whole worker. Exit 0 only when every child stopped
    cleanly after being asked."""
    refuse_unchecked_workflow_code(settings)
    prepare_database(settings).dispose()
    argv = [sys.executable, "-m", "nurture", "worker", "--process-index"]
    children = [subprocess.Popen([*argv, str(i)]) for i in range(processes)]
    asked = False
    failed = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal asked
        asked = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    log.info("started %d worker processes: pids %s", processes, [c.pid for c in children])
    while any(child.poll() is None for child in children):
        for child in children:
            if child.returncode is not None and not asked:
                log.error(
                    "worker process %d exited with code %s unasked; stopping the others",
                    child.pid,
                    child.returncode,
                )
                failed = True
                forward(signal.SIGTERM, None)
        time.sleep(CHILD_POLL_SECONDS)
    codes = [child.returncode for child in children]
    if failed or any(code != 0 for code in codes):
        log.error("worker processes exited with codes %s", codes)
        return 1
    log.info("all %d worker processes stopped", processes)
    return 0


def main() -> None:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
