"""The stack a fault scenario runs on, as separate processes that can be killed and restarted.

The Temporal dev server keeps its state in a file so it can be SIGTERMed or SIGKILLed and
come back on the same data; `nurture worker` and `nurture api` are configured by NURTURE_*
variables alone, exactly as an operator would run them. Each (re)start gets its own log
file (`worker-2.log`), kept in the scenario's folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from nurture.binaries import find_binary
from nurture.cli.devprocs import Child, listening
from nurture.mailsink import free_port
from nurture.search_attributes import cli_flags
from nurture.settings import DEV_ADMIN_TOKEN, DEV_WEBHOOK_SECRET, Settings
from nurture.temporal import connect, missing_search_attributes, register_search_attributes

log = logging.getLogger("chaos.stack")
LOOPBACK = "127.0.0.1"
REP = "Chaos Rep <rep.one@sales.example.com>"
READY_TIMEOUT = 60.0


class StackError(Exception):
    """A part of the stack did not come up or died; the message carries its log tail."""


class Stack:
    """Temporal, worker and API for one scenario, all on loopback, data under `workdir`."""

    def __init__(self, workdir: Path, smtp_port: int) -> None:
        self.workdir = workdir
        self.db_path = workdir / "nurture.db"
        self.temporal_db = workdir / "temporal.db"
        self.task_queue = f"chaos-{uuid.uuid4().hex[:8]}"
        self.smtp_port = smtp_port
        self.temporal_port, self.api_port = free_port(), free_port()
        self._http_port, self._metrics_port = free_port(), free_port()
        self.temporal: Child | None = None
        self.worker: Child | None = None
        self.peer: Child | None = None  # a second worker on the same task queue, if started
        self.api: Child | None = None
        self.worker_env: dict[str, str] = {}
        self._starts: Counter[str] = Counter()
        self._client: Client | None = None

    # --- configuration ------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The NURTURE_* environment of the worker and the API (nothing else configures them)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NURTURE_")}
        env.update(
            PYTHONUNBUFFERED="1",
            NURTURE_ENV="dev",
            NURTURE_TEMPORAL_ADDRESS=f"{LOOPBACK}:{self.temporal_port}",
            NURTURE_TASK_QUEUE=self.task_queue,
            NURTURE_DATABASE_URL=self.database_url,
            NURTURE_SMTP_HOST=LOOPBACK,
            NURTURE_SMTP_PORT=str(self.smtp_port),
            NURTURE_SMTP_TIMEOUT_SECONDS="20",
            NURTURE_PUBLIC_URL=self.api_url,
            NURTURE_WEBHOOK_SECRET=DEV_WEBHOOK_SECRET,
            NURTURE_ADMIN_TOKEN=DEV_ADMIN_TOKEN,
            NURTURE_SALES_REPS=REP,
            NURTURE_SEND_WINDOW="false",  # send at once, whatever the hour
            NURTURE_INTAKE_WAIT_SECONDS="5",
            NURTURE_LOG_LEVEL="INFO",
        )
        env.update(extra or {})
        return env

    def settings(self) -> Settings:
        """The settings the worker and API read, for this process's own Temporal client."""
        values = self.env()
        return Settings.model_validate(
            {
                k.removeprefix("NURTURE_").lower(): v
                for k, v in values.items()
                if k[:8] == "NURTURE_"
            }
        )

    @property
    def client(self) -> Client:
        if self._client is None:
            raise StackError("Temporal is not started")
        return self._client

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        self._starts[name] += 1
        return Child(f"{name}-{self._starts[name]}", argv, env, self.workdir)

    # --- Temporal -------------------------------------------------------------------

    async def start_temporal(self) -> None:
        """The dev server on its db file, with nurture's search attributes (as `nurture dev`)."""
        argv = [
            find_binary("temporal"),
            "server",
            "start-dev",
            "--db-filename",
            str(self.temporal_db),
            "--ip",
            LOOPBACK,
            "--port",
            str(self.temporal_port),
            "--headless",
            "--http-port",
            str(self._http_port),
            "--metrics-port",
            str(self._metrics_port),
            "--log-level",
            "warn",
            *cli_flags(),
        ]
        self.temporal = child = self._spawn("temporal", argv, dict(os.environ))

        async def ready() -> bool:
            if not listening(LOOPBACK, self.temporal_port):
                return False
            client = self._client or await connect(self.settings())
            await client.service_client.check_health()
            # --search-attribute on an existing db neither fails nor adds missing ones.
            if await missing_search_attributes(client):
                await register_search_attributes(client)
            self._client = client
            return not await missing_search_attributes(client)

        await self._wait(child, "Temporal dev server", ready)

    async def signal_temporal(self, sig: signal.Signals) -> None:
        """SIGTERM (graceful) or SIGKILL the dev server and wait until it is gone."""
        await _kill(self.temporal, sig, wait=20.0)

    # --- worker and API ---------------------------------------------------------------

    async def start_worker(self, env: dict[str, str] | None = None) -> None:
        """`nurture worker`; returns once it polls the task queue. `env` overrides stick."""
        if env is not None:
            self.worker_env = env
        argv = [sys.executable, "-m", "nurture", "worker"]
        self.worker = child = self._spawn("worker", argv, self.env(self.worker_env))
        await self._wait(child, "worker", lambda: self._polling(child.proc.pid))

    async def kill_worker(self, sig: signal.Signals = signal.SIGKILL) -> None:
        await _kill(self.worker, sig, wait=60.0)

    async def start_peer(self) -> None:
        """A second `nurture worker` on the same task queue (scale-out by processes)."""
        argv = [sys.executable, "-m", "nurture", "worker"]
        self.peer = child = self._spawn("peer", argv, self.env(self.worker_env))
        await self._wait(child, "second worker", lambda: self._polling(child.proc.pid))

    async def kill_peer(self) -> None:
        await _kill(self.peer, signal.SIGKILL, wait=60.0)

    @property
    def worker_pid(self) -> int:
        if self.worker is None:
            raise StackError("no worker started")
        return self.worker.proc.pid

    async def start_api(self) -> None:
        argv = [sys.executable, "-m", "nurture", "api", "--host", LOOPBACK]
        self.api = child = self._spawn("api", [*argv, "--port", str(self.api_port)], self.env())

        async def ready() -> bool:
            async with httpx.AsyncClient(timeout=3) as http:
                return (await http.get(f"{self.api_url}/healthz")).status_code == 200

        await self._wait(child, "API", ready)

    async def kill_api(self) -> None:
        await _kill(self.api, signal.SIGKILL, wait=10.0)

    async def start(self, worker_env: dict[str, str] | None = None) -> None:
        await self.start_temporal()
        await self.start_worker(worker_env)
        await self.start_api()

    def stop(self) -> None:
        """API, worker, Temporal, each SIGTERMed and SIGKILLed if it lingers."""
        for child in (self.api, self.peer, self.worker, self.temporal):
            if child is not None:
                child.stop(grace=10.0)

    def exited(self) -> list[str]:
        """Parts that died without being told to, with their exit codes."""
        return [
            f"{c.name} exited with code {c.proc.returncode}"
            for c in (self.temporal, self.worker, self.peer, self.api)
            if c is not None and not c.alive()
        ]

    # --- readiness ----------------------------------------------------------------------

    async def _polling(self, pid: int) -> bool:
        """Whether worker `pid` polls our task queue (the SDK identity is `pid@host`)."""
        resp = await self.client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=self.client.namespace,
                task_queue=TaskQueue(name=self.task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        return any(p.identity.startswith(f"{pid}@") for p in resp.pollers)

    async def _wait(self, child: Child, what: str, ready: Callable[[], Awaitable[bool]]) -> None:
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
        while True:
            if not child.alive():
                raise StackError(f"{what} exited while starting; {child.log_path}:\n{child.tail()}")
            with contextlib.suppress(
                RPCError, RuntimeError, OSError, httpx.HTTPError, TimeoutError
            ):
                if await asyncio.wait_for(ready(), 5.0):
                    log.info("%s ready (%s)", what, child.name)
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise StackError(f"{what} not ready after {READY_TIMEOUT:.0f} s:\n{child.tail()}")
            await asyncio.sleep(0.2)


async def _kill(child: Child | None, sig: signal.Signals, wait: float) -> None:
    """Send `sig` to the child's process group and reap it (SIGKILL if it outlives `wait`).

    The wait runs in a thread: traffic keeps flowing on the event loop meanwhile.
    """
    if child is None or not child.alive():
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.proc.pid, sig)
    try:
        await asyncio.to_thread(child.proc.wait, wait)
    except subprocess.TimeoutExpired:  # a graceful stop that hangs: finish it
        await asyncio.to_thread(child.stop, 0.1)
