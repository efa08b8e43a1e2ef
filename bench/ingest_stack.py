"""The ingest benchmark's stack: a Temporal dev server, `nurture worker` and `nurture api` as
separate processes on loopback (so the benchmark, worker and API do not share one GIL), the
SMTP sink in this process, and waiting until each part answers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest_http import HttpConnection
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from nurture.binaries import find_binary
from nurture.cli.devprocs import Child, listening
from nurture.mailsink import MailSink, free_port
from nurture.search_attributes import cli_flags
from nurture.settings import DEV_ADMIN_TOKEN, DEV_WEBHOOK_SECRET, Settings
from nurture.temporal import connect, missing_search_attributes

LOOPBACK = "127.0.0.1"
REP = ("Bench Rep", "rep@bench.example.com")
STOP_GRACE_SECONDS = 10.0


class BenchError(Exception):
    """The benchmark cannot go on; the message says what failed."""


@dataclass
class Stack:
    """The parts this run started, their addresses, and where they log."""

    workdir: Path
    temporal_port: int
    api_port: int
    task_queue: str
    database_url: str
    db_path: Path
    sink: MailSink
    children: list[Child] = field(default_factory=list)
    # The dev server's SQLite file (`--db-filename`), so its size can be read; None: in memory.
    temporal_db: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)  # a run's own NURTURE_* choices

    @property
    def temporal_address(self) -> str:
        return f"{LOOPBACK}:{self.temporal_port}"

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    def pids(self) -> dict[str, int]:
        return {c.name: c.proc.pid for c in self.children}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NURTURE_")}
        env.update(
            PYTHONUNBUFFERED="1",
            NURTURE_ENV="dev",
            NURTURE_TEMPORAL_ADDRESS=self.temporal_address,
            NURTURE_TASK_QUEUE=self.task_queue,
            NURTURE_DATABASE_URL=self.database_url,
            NURTURE_SMTP_HOST=self.sink.host,
            NURTURE_SMTP_PORT=str(self.sink.port),
            NURTURE_PUBLIC_URL=self.api_url,
            NURTURE_WEBHOOK_SECRET=DEV_WEBHOOK_SECRET,
            NURTURE_ADMIN_TOKEN=DEV_ADMIN_TOKEN,
            NURTURE_SALES_REPS=f"{REP[0]} <{REP[1]}>",
            NURTURE_LOG_LEVEL="WARNING",
            # Marketing mail goes out at once, whatever the time of day, so every run does the
            # same work (the send window would turn the welcome mails into timers at night).
            NURTURE_SEND_WINDOW="false",
        )
        env.update(self.extra_env)
        return env

    def settings(self) -> Settings:
        """The settings the worker and the API read from `env()`, for this process's calls."""
        return Settings.model_validate(
            {
                k.removeprefix("NURTURE_").lower(): v
                for k, v in self.env().items()
                if k.startswith("NURTURE_")
            }
        )

    def start(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv, self.env(), self.workdir)
        self.children.append(child)
        return child

    def check_alive(self) -> None:
        for child in self.children:
            if not child.alive():
                raise BenchError(
                    f"{child.name} exited (code {child.proc.returncode}):\n{child.tail()}"
                )

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop(STOP_GRACE_SECONDS)
        self.children.clear()
        self.sink.stop()


async def wait_until(
    what: str, probe: Callable[[], Awaitable[bool]], stack: Stack, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        stack.check_alive()
        with contextlib.suppress(
            RPCError, RuntimeError, OSError, EOFError, ValueError, TimeoutError
        ):
            if await asyncio.wait_for(probe(), 5.0):
                return
        if time.monotonic() > deadline:
            tails = "\n".join(f"  {c.name}:\n{c.tail(10)}" for c in stack.children)
            raise BenchError(f"{what} not ready after {timeout:.0f} s; logs:\n{tails}")
        await asyncio.sleep(0.2)


async def start_temporal(stack: Stack) -> tuple[Child, Client]:
    """The dev server, waited for until it answers with nurture's search attributes."""
    temporal = stack.start(
        "temporal",
        [
            find_binary("temporal"),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            LOOPBACK,
            "--port",
            str(stack.temporal_port),
            "--http-port",
            str(free_port()),
            "--metrics-port",
            str(free_port()),
            "--log-level",
            "warn",
            *cli_flags(),
            *(["--db-filename", str(stack.temporal_db)] if stack.temporal_db else []),
        ],
    )
    client: Client | None = None

    async def temporal_ready() -> bool:
        nonlocal client
        if not listening(LOOPBACK, stack.temporal_port):
            return False
        client = await connect(stack.settings())
        await client.service_client.check_health()
        return not await missing_search_attributes(client)

    await wait_until("Temporal dev server", temporal_ready, stack, 60)
    assert client is not None
    return temporal, client


async def start_stack(stack: Stack) -> Client:
    """Temporal, then the worker, then the API; returns this process's Temporal client."""
    nurture = nurture_command()
    _, client = await start_temporal(stack)
    worker = stack.start("worker", [nurture, "worker"])
    await wait_polling(stack, client, worker, stack.task_queue)
    stack.start("api", [nurture, "api", "--host", LOOPBACK, "--port", str(stack.api_port)])

    async def api_ready() -> bool:
        conn = HttpConnection(LOOPBACK, stack.api_port)
        try:
            return (await conn.request("GET", "/healthz")).status == 200
        finally:
            await conn.close()

    await wait_until("API", api_ready, stack, 60)
    return client


async def wait_polling(stack: Stack, client: Client, worker: Child, task_queue: str) -> None:
    """Wait until `worker` (a started process) polls `task_queue` for workflow tasks."""

    async def polling() -> bool:
        resp = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        return any(p.identity.startswith(f"{worker.proc.pid}@") for p in resp.pollers)

    await wait_until(worker.name, polling, stack, 60)


def nurture_command() -> str:
    """The `nurture` CLI of this venv (or the one on PATH)."""
    venv_bin = Path(sys.executable).parent
    return str(venv_bin / "nurture") if (venv_bin / "nurture").exists() else "nurture"
