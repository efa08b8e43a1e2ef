"""The `nurture` command as real processes: the CLI as a user types it, and a worker that
tests kill the way a crash would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from nurture.settings import Settings

NURTURE = str(Path(sys.executable).parent / "nurture")


def cli(
    *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """`nurture ARGS` with only the given NURTURE_* variables, as a user's shell runs it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NURTURE_")}
    full_env.update(env or {})
    return subprocess.run(
        [NURTURE, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def worker_env(env: WorkflowEnvironment, settings: Settings, **more: str) -> dict[str, str]:
    """NURTURE_* variables for a worker process on the test's server, queue and database."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("NURTURE_")},
        "NURTURE_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "NURTURE_TASK_QUEUE": settings.task_queue,
        "NURTURE_DATABASE_URL": settings.database_url,
        "NURTURE_SMTP_HOST": settings.smtp_host,
        "NURTURE_SMTP_PORT": str(settings.smtp_port),
        "NURTURE_SMTP_TIMEOUT_SECONDS": str(settings.smtp_timeout_seconds),
        "NURTURE_PUBLIC_URL": settings.public_url,
        "NURTURE_SEND_WINDOW": "false",
        **more,
    }


@contextmanager
def worker_process(
    env: WorkflowEnvironment, settings: Settings, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker process; killed at the end if the test has not killed it already."""
    with log.open("w") as out:
        worker = subprocess.Popen(
            [NURTURE, "worker"],
            env=worker_env(env, settings),
            stdout=out,
            stderr=out,
        )
        try:
            yield worker
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.wait(10)
