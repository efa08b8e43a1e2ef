"""Where a handoff stands, for a lead run that did not start it (after a reset or a resume).

A reset lead replays to a point before its handoff, then tries to start it again while the
old one still runs (or already ended). Instead of failing, the run adopts it: this activity
asks Temporal whether it still runs (and at which sales stage) or how it ended.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from nurture.models import (
    HANDOFF_STATE_QUERY,
    HandoffLookup,
    HandoffResult,
    HandoffState,
    HandoffStatus,
    Stage,
)
from nurture.rules.sales_rules import LEAD_STAGE


class HandoffLookupActivities:
    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn
    async def look_up_handoff(self, handoff_id: str) -> HandoffLookup:
        handle = self._client.get_workflow_handle(handoff_id, result_type=HandoffResult)
        try:
            described = await handle.describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return HandoffLookup(handoff_id=handoff_id, running=False)
            raise
        if described.status == WorkflowExecutionStatus.RUNNING:
            state: HandoffState = await handle.query(HANDOFF_STATE_QUERY, result_type=HandoffState)
            stage = LEAD_STAGE.get(state.status, Stage.SALES_PENDING)
            if state.records_lead and state.lead_stage is not None:
                stage = state.lead_stage  # mql while it waits for a rep, as the handoff wrote
            return HandoffLookup(
                handoff_id=handoff_id,
                running=True,
                stage=stage,
                rep_id=state.rep_id,
                lead_recorded=state.records_lead,
            )
        if described.status == WorkflowExecutionStatus.COMPLETED:
            result: HandoffResult = await handle.result()
            return HandoffLookup(handoff_id=handoff_id, running=False, result=result)
        # Terminated or failed by ops: sales no longer holds the lead; it goes back to
        # marketing as a handoff withdrawn would.
        withdrawn = HandoffResult(handoff_id=handoff_id, status=HandoffStatus.WITHDRAWN)
        return HandoffLookup(handoff_id=handoff_id, running=False, result=withdrawn)
