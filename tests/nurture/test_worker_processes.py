"""`nurture worker --processes 2` as an operator runs it: two pollers on the task queue, and
SIGTERM to the one process the service manager knows stops both, exit 0."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from nurture.settings import Settings
from tests.utils.processes import NURTURE, worker_env


def children_of(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(p) for p in text.split()}


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


async def poller_pids(env: WorkflowEnvironment, task_queue: str) -> set[int]:
    """The processes polling `task_queue` for workflow tasks (SDK identity `pid@host`)."""
    resp = await env.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=env.client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return {int(p.identity.split("@", 1)[0]) for p in resp.pollers}


@contextmanager
def workers(
    env: WorkflowEnvironment, settings: Settings, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as out:
        parent = subprocess.Popen(
            [NURTURE, "worker", "--processes", "2"],
            env=worker_env(env, settings),
            stdout=out,
            stderr=out,
        )
    try:
        yield parent
    finally:
        if parent.poll() is None:
            for child in children_of(parent.pid):
                os.kill(child, signal.SIGKILL)
            parent.kill()
        parent.wait(10)


async def both_polling(
    env: WorkflowEnvironment, settings: Settings, parent: subprocess.Popen[bytes], log: Path
) -> set[int]:
    """The two worker processes, once both poll the task queue."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert parent.poll() is None, log.read_text()
        children = children_of(parent.pid)
        if len(children) == 2 and await poller_pids(env, settings.task_queue) >= children:
            return children
        await asyncio.sleep(0.2)
    raise AssertionError(f"two workers never polled:\n{log.read_text()}")


async def test_two_processes_poll_and_sigterm_stops_both_with_exit_0(
    dev_env: WorkflowEnvironment, settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    with workers(dev_env, settings, log) as parent:
        children = await both_polling(dev_env, settings, parent, log)
        assert parent.pid not in await poller_pids(dev_env, settings.task_queue)  # supervises
        parent.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(parent.wait, 60)
    assert code == 0, log.read_text()
    assert all(gone(pid) for pid in children)
    assert "all 2 worker processes stopped" in log.read_text()


async def test_a_worker_process_dying_stops_the_other_and_exits_1(
    dev_env: WorkflowEnvironment, settings: Settings, tmp_path: Path
) -> None:
    """So the service manager restarts the whole worker instead of running on half."""
    log = tmp_path / "worker.log"
    with workers(dev_env, settings, log) as parent:
        victim, survivor = sorted(await both_polling(dev_env, settings, parent, log))
        os.kill(victim, signal.SIGKILL)
        code = await asyncio.to_thread(parent.wait, 60)
    assert code == 1
    assert gone(survivor)
    assert f"worker process {victim} exited with code -9 unasked" in log.read_text()
