"""The intake benchmark's reference worker, a process of its own so its CPU is read apart
from nurture's: `python bench/intake_reference.py --task-queue Q`, with the NURTURE_*
settings the benchmark gives every part (Temporal address, SMTP sink).

It runs `ReferenceWorkflow` with the SDK settings of nurture's worker (`worker.build_worker`):
the pydantic data converter, nurture's sandboxed workflow runner (`sandbox`, whatever
`--workflow-runner` the benchmark gives nurture's worker), as many concurrent
workflow tasks (`NURTURE_WORKER_WORKFLOW_TASKS`), 64 concurrent activities and a 64-thread
activity executor. Its one activity delivers a plain mail with aiosmtplib, as nurture's
mail does, to the same sink.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import aiosmtplib
from intake_reference_workflow import ACTIVITY_NAME, ReferenceWorkflow
from temporalio import activity
from temporalio.worker import Worker

from nurture.settings import Settings, get_settings
from nurture.temporal import connect
from workflows.registry import workflow_runner


def deliver(settings: Settings) -> Callable[[str], Awaitable[None]]:
    @activity.defn(name=ACTIVITY_NAME)
    async def deliver_reference_mail(to: str) -> None:
        msg = EmailMessage()
        msg["From"] = settings.mail_from
        msg["To"] = to
        msg["Subject"] = "Thanks for your interest"
        msg.set_content("The reference workflow's one mail.\n")
        await aiosmtplib.send(
            msg,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_seconds,
            start_tls=False,
        )

    return deliver_reference_mail


async def run(task_queue: str) -> None:
    settings = get_settings()
    client = await connect(settings)
    with ThreadPoolExecutor(max_workers=64) as executor:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[ReferenceWorkflow],
            activities=[deliver(settings)],
            activity_executor=executor,
            # The SDK's sandbox whatever nurture's worker runs, so the floor stays put.
            workflow_runner=workflow_runner("sandbox"),
            max_concurrent_activities=64,
            max_concurrent_workflow_tasks=settings.worker_workflow_tasks,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with worker:
            await stop.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--task-queue", required=True)
    asyncio.run(run(p.parse_args().task_queue))


if __name__ == "__main__":
    main()
