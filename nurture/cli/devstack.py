"""`nurture dev`: Temporal, the SMTP sink, the worker and the API as children of one process.

Children run in their own process groups so a Ctrl-C reaches only this launcher,
which then stops them in reverse order (API before worker before Temporal). All
state lives in `.nurture/`, so the next run resumes the leads that were in flight.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable

import httpx
import typer
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from nurture.binaries import find_binary
from nurture.cli import devbanner
from nurture.cli.devprocs import Child, listening, port_free
from nurture.search_attributes import cli_flags
from nurture.settings import STATE_DIR, get_settings
from nurture.temporal import missing_search_attributes, register_search_attributes

LOOPBACK = "127.0.0.1"
STOP_GRACE_SECONDS = 10.0


class StartupError(Exception):
    """A part did not come up; the message says which and what to do."""


class DevStack:
    """The whole embedded stack in the foreground; `run()` returns the exit code."""

    def __init__(
        self,
        api_port: int,
        ui_port: int,
        temporal_port: int,
        smtp_port: int,
        mail_port: int,
        *,
        timeout: float = 60.0,
    ) -> None:
        self.api_port, self.ui_port, self.temporal_port = api_port, ui_port, temporal_port
        self.smtp_port, self.mail_port = smtp_port, mail_port
        self.timeout = timeout
        self.settings = get_settings()
        self.children: list[Child] = []
        self.stopping = threading.Event()

    def run(self) -> int:
        (STATE_DIR / "logs").mkdir(parents=True, exist_ok=True)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda signum, frame: self.stopping.set())
        try:
            self._check_ports()
            self._start_all()
            if self.stopping.is_set():
                return 0
            typer.echo(self._banner())
            return self._supervise()
        except (StartupError, FileNotFoundError) as err:  # FileNotFoundError: no temporal binary
            typer.echo(f"error: {err}", err=True)
            return 1
        finally:
            if self.children:
                names = ", ".join(c.name for c in reversed(self.children))
                typer.echo(f"stopping {names}", err=True)
            for child in reversed(self.children):
                child.stop(STOP_GRACE_SECONDS)

    def _check_ports(self) -> None:
        wanted = [
            ("Temporal server", "--temporal-port", self.temporal_port),
            ("Temporal UI", "--ui-port", self.ui_port),
            ("SMTP sink", "--smtp-port", self.smtp_port),
            ("mail viewer", "--mail-port", self.mail_port),
            ("API", "--api-port", self.api_port),
        ]
        wanted = [w for w in wanted if w[2]]  # --mail-port 0 turns the viewer off
        if len({port for *_, port in wanted}) < len(wanted):
            raise StartupError("two parts were given the same port; give each its own")
        for what, flag, port in wanted:
            if not port_free(LOOPBACK, port):
                raise StartupError(
                    f"port {port} for the {what} is already in use. Stop what listens there "
                    f"(`ss -ltnp 'sport = :{port}'` shows it; an earlier `nurture dev` may "
                    f"still run) or choose another port with {flag}."
                )

    def _env(self) -> dict[str, str]:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.setdefault("NURTURE_TEMPORAL_ADDRESS", f"{LOOPBACK}:{self.temporal_port}")
        env.setdefault("NURTURE_SMTP_HOST", LOOPBACK)
        env.setdefault("NURTURE_SMTP_PORT", str(self.smtp_port))
        env.setdefault("NURTURE_PUBLIC_URL", f"http://localhost:{self.api_port}")
        return env

    def _start_all(self) -> None:
        env, me = self._env(), [sys.executable, "-m", "nurture"]
        namespace = self.settings.temporal_namespace
        temporal = [
            find_binary("temporal"),
            "server",
            "start-dev",
            "--db-filename",
            str(STATE_DIR / "temporal.db"),
            "--ip",
            LOOPBACK,
            "--port",
            str(self.temporal_port),
            "--ui-port",
            str(self.ui_port),
            "--log-level",
            "warn",
            *cli_flags(),
            *(["--namespace", namespace] if namespace != "default" else []),
        ]
        sink = [*me, "mailsink", "--port", str(self.smtp_port), "--web-port", str(self.mail_port)]
        steps: list[tuple[str, list[str], Callable[[Child], bool]]] = [
            ("temporal", temporal, lambda c: self._temporal(self._temporal_ready)),
            ("mailsink", sink, lambda c: self._sink_ready()),
            ("worker", [*me, "worker"], lambda c: self._temporal(self._polling(c.proc.pid))),
            ("api", [*me, "api", "--port", str(self.api_port)], lambda c: self._api_ready()),
        ]
        for name, argv, ready in steps:
            if self.stopping.is_set():
                return
            self.children.append(Child(name, argv, env, STATE_DIR / "logs"))
            self._wait_ready(self.children[-1], ready)

    def _wait_ready(self, child: Child, ready: Callable[[Child], bool]) -> None:
        deadline = time.monotonic() + self.timeout
        while not self.stopping.is_set():
            for started in self.children:
                if not started.alive():
                    raise StartupError(f"{started.name} exited while starting:\n{started.tail()}")
            if ready(child):
                return
            if time.monotonic() > deadline:
                raise StartupError(
                    f"{child.name} was not ready after {self.timeout:.0f} s; "
                    f"its log ({child.log_path}) ends with:\n{child.tail()}"
                )
            self.stopping.wait(0.3)

    def _temporal(self, probe: Callable[[Client], Awaitable[bool]]) -> bool:
        """Run `probe` with a fresh client; False while the server cannot answer yet."""

        async def check() -> bool:
            address = f"{LOOPBACK}:{self.temporal_port}"
            client = await Client.connect(address, namespace=self.settings.temporal_namespace)
            return await probe(client)

        if not listening(LOOPBACK, self.temporal_port):
            return False
        try:
            return asyncio.run(asyncio.wait_for(check(), 5.0))
        except (RPCError, RuntimeError, OSError, TimeoutError):  # not up yet: poll again
            return False

    async def _temporal_ready(self, client: Client) -> bool:
        # --search-attribute on an existing db neither fails nor adds attributes it lacks.
        await client.service_client.check_health()
        missing = await missing_search_attributes(client)
        if missing:
            try:
                await register_search_attributes(client)
            except RPCError as err:
                raise StartupError(f"cannot define search attributes {missing}: {err}") from err
        return True

    def _polling(self, pid: int) -> Callable[[Client], Awaitable[bool]]:
        """True once the worker `pid` polls our task queue (SDK identity is `pid@host`)."""

        async def probe(client: Client) -> bool:
            resp = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=self.settings.task_queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            )
            return any(p.identity.startswith(f"{pid}@") for p in resp.pollers)

        return probe

    def _sink_ready(self) -> bool:
        return listening(LOOPBACK, self.smtp_port) and listening(LOOPBACK, self.mail_port)

    def _api_ready(self) -> bool:
        try:
            return httpx.get(f"http://{LOOPBACK}:{self.api_port}/healthz", timeout=2).is_success
        except httpx.HTTPError:
            return False

    def _banner(self) -> str:
        return devbanner.render(
            self.settings,
            api_port=self.api_port,
            ui_port=self.ui_port,
            temporal_port=self.temporal_port,
            smtp_port=self.smtp_port,
            mail_port=self.mail_port,
            logs=[c.log_path for c in self.children],
        )

    def _supervise(self) -> int:
        while not self.stopping.wait(0.5):
            for child in self.children:
                if not child.alive():
                    typer.echo(
                        f"error: {child.name} exited (code {child.proc.returncode}); stopping "
                        f"the rest. {child.log_path} ends with:\n{child.tail()}",
                        err=True,
                    )
                    return 1
        return 0
