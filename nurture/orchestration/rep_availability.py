"""Telling handoffs that wait for a rep that one may be available now.

A handoff nobody could take waits on the reps-available signal (and wakes on its own when
the first away rep returns, at most an hour later). Whatever makes a rep available (the
CLI's enable, back, add; the worker syncing the configured reps) calls `wake_waiting` so the
waiting leads are assigned within seconds.
"""

from __future__ import annotations

import asyncio
import logging

from temporalio.client import Client
from temporalio.service import RPCError

from nurture.models import REPS_AVAILABLE_SIGNAL
from nurture.search_attributes import HANDOFF_STATE

log = logging.getLogger(__name__)
WAITING = (
    f"WorkflowType='SalesHandoffWorkflow' AND ExecutionStatus='Running' "
    f"AND {HANDOFF_STATE.name}='waiting_for_rep'"
)


async def wake_waiting(client: Client, again_after: float = 2.0) -> int:
    """Signal every running handoff that waits for a rep; how many were told.

    Twice, `again_after` seconds apart: visibility trails a handoff by a moment, so one
    that began waiting just now is found on the second look.
    """
    told: set[str] = set()
    for look in range(2):
        if look:
            await asyncio.sleep(again_after)
        async for found in client.list_workflows(WAITING):
            try:
                await client.get_workflow_handle(found.id, run_id=found.run_id).signal(
                    REPS_AVAILABLE_SIGNAL
                )
                told.add(found.id)
            except RPCError as err:  # it ended meanwhile: nothing to wake
                log.info("handoff %s not told of reps: %s", found.id, err.message)
    return len(told)
