"""How a lead's run ends when ops stop it (`nurture leads stop`).

The scenario ends, the stage says why, the events not yet applied are kept in the read
model, and the workflow completes: from then on the API parks the lead's events, and
`nurture leads resume` starts it again from its record.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.read_model import ReadModelActivities
    from nurture.models import HaltRecord, Stage
    from workflows.lead_records import LeadRecords
    from workflows.lead_state import NURTURE_STAGES, LeadInput, LeadState, ThisRun


class LeadStop:
    """Winds the run down once ops asked it to stop (`ThisRun.stopping`)."""

    __slots__ = ("_lead", "_records", "_run", "_state")

    def __init__(
        self, lead: LeadInput, state: LeadState, this_run: ThisRun, *, records: LeadRecords
    ) -> None:
        self._lead = lead
        self._state = state
        self._run = this_run
        self._records = records

    async def halt(self, reason: str) -> None:
        state, this_run = self._state, self._run
        task = this_run.scenario_task
        if task is not None and not task.done():
            task.cancel()  # a send held for days must not hold the stop
            await workflow.wait_condition(task.done)
        # The inbox processor takes no new batch once stopping; the one it may be scoring
        # finishes first, so no event is half-applied.
        await workflow.wait_condition(lambda: this_run.busy == 0)
        why = f"stopped by ops: {reason}"
        if state.stage in (*NURTURE_STAGES, Stage.MQL):
            await self._records.set_stage(Stage.DISQUALIFIED, why)
        else:  # won, lost, unsubscribed, bounced: the stage stays what it says
            await self._records.note("stopped", why)
        while True:  # events that came in meanwhile are kept too
            parked, state.inbox = state.inbox, []
            await self._records.record(
                ReadModelActivities.record_halt,
                HaltRecord(lead_id=self._lead.lead_id, at=workflow.now(), parked=parked),
            )
            if not state.inbox:
                break
        this_run.halted = True
        workflow.set_current_details(f"stopped by ops: {reason}")
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._records.flush()  # what the last handlers noted (BATCHED)
