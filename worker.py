"""The nurture worker: runs lead and handoff workflows and their activities.

`nurture worker` starts it from NURTURE_* settings alone; tests build one with
`build_worker` on their own task queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
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

from activities.assignment import AssignmentActivities
from activities.chat import ChatActivities
from activities.email import EmailActivities
from activities.handoff_lookup import HandoffLookupActivities
from activities.read_model import ReadModelActivities
from activities.sales_webhook import SalesWebhookActivities, webhook_client
from activities.scoring import apply_scoring
from nurture.db import create_schema, make_engine, session_scope
from nurture.orchestration.reconciler import Reconciler
from nurture.orchestration.rep_availability import wake_waiting
from nurture.repo import reps
from nurture.settings import Settings, get_settings
from nurture.temporal import connect, missing_search_attributes
from workflows.registry import WORKFLOWS, workflow_runner

log = logging.getLogger("nurture.worker")


def build_worker(
    client: Client,
    settings: Settings,
    engine: Engine,
    *,
    task_queue: str | None = None,
    executor: ThreadPoolExecutor | None = None,
) -> Worker:
    read_model = ReadModelActivities(engine)
    email = EmailActivities(engine, settings)
    assignment = AssignmentActivities(engine, chat=settings.slack_webhook_url is not None)
    http = webhook_client()
    sales_webhook = SalesWebhookActivities(engine, settings, http)
    chat = ChatActivities(engine, settings, http)
    lookup = HandoffLookupActivities(client)
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
            read_model.record_handoff,
            read_model.record_split,
            read_model.record_sent,
            apply_scoring,
            email.send_step,
            email.notify_rep,
            email.notify_no_rep,
            assignment.assign_rep,
            sales_webhook.post_handoff_event,
            chat.post_chat,
            lookup.look_up_handoff,
            read_model.record_halt,
            read_model.record_send_failed,
        ],
        activity_executor=executor or owned,
        workflow_runner=workflow_runner(),
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


async def run(settings: Settings) -> None:
    engine = prepare_database(settings)
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
    with contextlib.suppress(RPCError):  # the configured reps may be new: waiting leads try
        await wake_waiting(client, again_after=0)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker polling task queue %s on %s", settings.task_queue, settings.temporal_address)
    reconciler = Reconciler(client, settings, engine)
    async with worker:
        await reconciler.run(stop)
    log.info("worker stopped")


def main() -> None:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
