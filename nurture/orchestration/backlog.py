"""How far the workers are behind: the approximate backlog of the lead task queue.

Bulk intake paces itself by it. A new lead is one workflow task the server queues at its
start; a lead whose first task a worker has taken is off the backlog, whatever it does
next. So the backlog counts exactly the leads started and not yet absorbed, with no
database query, and it rises as soon as the workers fall behind, wherever they run.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client


async def workflow_backlog(client: Client, task_queue: str) -> int:
    """Workflow tasks queued on `task_queue` that no worker has taken yet (approximate: the
    server's own count, as `temporal task-queue describe` shows it)."""
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            report_stats=True,
        )
    )
    return int(described.stats.approximate_backlog_count)
