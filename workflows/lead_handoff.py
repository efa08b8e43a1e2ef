"""How the lead workflow hands the lead to sales, and takes it back when sales declines.

A mixin of LeadWorkflow. The handoff is a child workflow; it outlives a continue-as-new
of the lead (parent close policy ABANDON) and reports its end with a signal, which
reaches whichever run of the lead is current.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ChildWorkflowError, WorkflowAlreadyStartedError
from temporalio.workflow import ChildWorkflowHandle, ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.handoff_lookup import HandoffLookupActivities
    from nurture.models import HandoffInput, HandoffResult, HandoffStatus, Stage
    from nurture.rules.sales_rules import LEAD_STAGE
    from scenarios.sla import SLA
    from workflows import policies
    from workflows.handoff import SalesHandoffWorkflow
    from workflows.lead_continue import LeadContinuation

HANDOFF_RETRY_EVERY = timedelta(hours=1)


class LeadHandoff(LeadContinuation):
    _child: ChildWorkflowHandle[SalesHandoffWorkflow, HandoffResult] | None
    _verify_handoff: bool

    async def _hand_off(self) -> HandoffResult:
        """Run handoffs until one ends; a failed one is retried, the lead is never dropped."""
        if self._active_handoff is None:  # else: resumed after continue-as-new
            await self._set_stage(
                Stage.MQL, f"score {self.score} reached the MQL threshold {SLA.handoff_threshold}"
            )
        self._child = None
        while True:
            if self._active_handoff is None:
                self._handoffs += 1
                handoff_id = f"handoff-{self.lead_id}-{self._handoffs}"
                handoff = self._handoff_input(handoff_id)
                if not self._v2:
                    try:  # leads started before LONG_LIVED: as they always did
                        return await workflow.execute_child_workflow(
                            SalesHandoffWorkflow.run, handoff, id=handoff_id
                        )
                    except ChildWorkflowError as err:
                        await self._handoff_failed(handoff_id, err)
                        continue
                self._active_handoff, self._closed_handoff = handoff_id, None
                try:
                    with self._in_flight():
                        self._child = await workflow.start_child_workflow(
                            SalesHandoffWorkflow.run,
                            handoff,
                            id=handoff_id,
                            parent_close_policy=ParentClosePolicy.ABANDON,
                            # ended or not, a handoff of this ID is adopted, never redone
                            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        )
                except WorkflowAlreadyStartedError:
                    # A reset run replays to before its handoff and starts it again: the
                    # handoff already exists, so adopt it rather than fail the lead.
                    self._child = None
                    await self._adopt(handoff_id)
            elif self._verify_handoff:  # resumed from the record: does sales still hold it?
                await self._adopt(self._active_handoff)
            self._verify_handoff = False
            if self._active_handoff is None:
                continue  # what was to be adopted never started: start it now
            handoff_id = self._active_handoff
            self._show_handoff()
            await workflow.wait_condition(
                lambda: (
                    self._closed_handoff is not None or self._child_done() or self._continue_due()
                )
            )
            result = self._closed_handoff
            if result is None and self._child is not None and self._child.done():
                try:
                    result = self._child.result()
                except ChildWorkflowError as err:
                    self._active_handoff, self._child = None, None
                    await self._handoff_failed(handoff_id, err)
                    continue
            if result is None:
                self._continue_as_new()
            self._active_handoff, self._closed_handoff, self._child = None, None, None
            return result

    async def _adopt(self, handoff_id: str) -> None:
        """Take over a handoff this run did not start: its end, if it ended, else its stage."""
        with self._in_flight():
            found = await workflow.execute_activity_method(
                HandoffLookupActivities.look_up_handoff,
                handoff_id,
                start_to_close_timeout=policies.LOOKUP_TIMEOUT,
                retry_policy=policies.LOOKUP_RETRY,
            )
        await self._note("handoff", f"took over {handoff_id} (started by an earlier run)")
        if found.result is not None:
            self._closed_handoff = found.result
            stage = LEAD_STAGE.get(found.result.status)
            if stage is not None and stage != self._stage:  # won or lost while away
                self._rep_id = found.result.rep_id
                await self._set_stage(stage, "sales closed it in an earlier run", self._rep_id)
        elif not found.running:  # it never existed after all: start it afresh
            self._active_handoff = None
            self._handoffs -= 1
        elif found.stage is not None and found.stage != self._stage:
            self._rep_id = found.rep_id
            await self._set_stage(found.stage, "handed to sales by an earlier run", found.rep_id)

    def _show_handoff(self) -> None:
        """The Temporal UI's line for a lead with sales: which handoff, which stage."""
        if self._active_handoff is not None:
            workflow.set_current_details(
                f"with sales: {self._active_handoff} ({self._stage.value})"
            )

    def _child_done(self) -> bool:
        """The handoff child started by this run has ended (after continue-as-new there is
        none: its end arrives as a signal)."""
        return self._child is not None and self._child.done()

    def _handoff_input(self, handoff_id: str) -> HandoffInput:
        return HandoffInput(
            handoff_id=handoff_id,
            lead_id=self.lead_id,
            score=self.score,
            breakdown=dict(self._breakdown),
            profile=self.profile,
        )

    async def _handoff_failed(self, handoff_id: str, err: ChildWorkflowError) -> None:
        cause = type(err.cause).__name__ if err.cause else "unknown"
        await self._note(
            "handoff_failed",
            f"handoff {handoff_id} failed ({cause}); retrying in {HANDOFF_RETRY_EVERY}",
        )
        await workflow.sleep(HANDOFF_RETRY_EVERY)

    async def _recycle(self, result: HandoffResult) -> None:
        """Back from sales without a deal: behaviour points reset, slower recycle track."""
        why = {
            HandoffStatus.REJECTED: "rejected by sales",
            HandoffStatus.WITHDRAWN: "SLA breached: handoff withdrawn",
        }[result.status]
        await self._reset_behaviour(f"recycled ({why})")
        self._rep_id = None
        self._qualified = False
        self.scenario = SLA.recycle_scenario
        self._step = None
        await self._record_step(workflow.now())
        await self._set_stage(Stage.RECYCLED, why, clear_rep=True)
        self._begin(SLA.recycle_scenario)
