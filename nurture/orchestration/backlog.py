"""How far the workers are behind: the approximate backlog of the lead task queue.

Bulk intake paces itself by it. A new lead is one workflow task the server queues at its
start, then its first mail one activity task; each leaves the backlog when a worker takes
it. So the workflow and activity backlogs together count the leads started and not yet
absorbed up to their first mail, with no database query, and they rise as soon as the
workers fall behind, wherever they run. (A lead's later workflow tasks go to its worker's
sticky queue, which is that worker's own business and not counted.)
"""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

KINDS = (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)


async def backlog(client: Client, task_queue: str) -> int:
    """Workflow and activity tasks queued on `task_queue` that no worker has taken yet
    (approximate: the server's own counts, as `temporal task-queue describe` shows them)."""

    async def one(kind: TaskQueueType.ValueType) -> int:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=kind,
                report_stats=True,
            )
        )
        return int(described.stats.approximate_backlog_count)

    return sum(await asyncio.gather(*(one(kind) for kind in KINDS)))
