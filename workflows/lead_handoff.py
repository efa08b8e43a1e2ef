"""How the lead workflow hands the lead to sales, and takes it back when sales declines.

The handoff is a child workflow; it outlives a continue-as-new of the lead (parent close
policy ABANDON) and reports its end with a signal, which reaches whichever run of the lead
is current.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ChildWorkflowError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.handoff_lookup import HandoffLookupActivities
    from nurture.models import HandoffInput, HandoffResult, HandoffStatus, SalesProgress, Stage
    from nurture.rules.sales_rules import LEAD_STAGE
    from nurture.search_attributes import HANDOFF_STATE
    from scenarios.sla import SLA
    from workflows import policies
    from workflows.handoff import SalesHandoffWorkflow
    from workflows.lead_continue import LeadContinuation
    from workflows.lead_legacy import PrePatch
    from workflows.lead_records import LeadRecords
    from workflows.lead_scenarios import LeadScenarios
    from workflows.lead_scoring import LeadScoring
    from workflows.lead_state import LeadInput, LeadState, ThisRun

HANDOFF_RETRY_EVERY = timedelta(hours=1)
PENDING_STATE = HandoffStatus.PENDING.value  # a new handoff's HandoffState
SALES_ORDER = {
    Stage.MQL: 1,
    Stage.SALES_PENDING: 2,
    Stage.SALES_ACCEPTED: 3,
    Stage.OPPORTUNITY: 4,
    Stage.WON: 5,
    Stage.LOST: 5,
}
RECYCLE_WHY = {
    HandoffStatus.REJECTED: "rejected by sales",
    HandoffStatus.WITHDRAWN: "SLA breached: handoff withdrawn",
}


class LeadHandoff:
    """Runs the lead's handoffs to sales until one ends, and recycles the lead after it."""

    __slots__ = (
        "_continuation",
        "_lead",
        "_legacy",
        "_records",
        "_run",
        "_scenarios",
        "_scoring",
        "_state",
    )

    def __init__(
        self,
        lead: LeadInput,
        state: LeadState,
        this_run: ThisRun,
        *,
        records: LeadRecords,
        scoring: LeadScoring,
        scenarios: LeadScenarios,
        continuation: LeadContinuation,
        legacy: PrePatch,
    ) -> None:
        self._lead = lead
        self._state = state
        self._run = this_run
        self._records = records
        self._scoring = scoring
        self._scenarios = scenarios
        self._continuation = continuation
        self._legacy = legacy

    async def hand_off(self) -> HandoffResult:
        """Run handoffs until one ends; a failed one is retried, the lead is never dropped."""
        result = await self._until_one_ends()
        if result.lead_stage is not None:  # the handoff wrote it; the lead only takes it
            self._state.rep_id = result.rep_id
            self._records.take_stage(result.lead_stage)
        return result

    async def _until_one_ends(self) -> HandoffResult:
        state, this_run = self._state, self._run
        if state.active_handoff is None:  # else: resumed after continue-as-new
            await self._records.set_stage(Stage.MQL, self._why_mql())
        this_run.child = None
        while True:
            if state.active_handoff is None:
                state.handoffs += 1
                handoff_id = f"handoff-{self._lead.lead_id}-{state.handoffs}"
                handoff = self._handoff_input(handoff_id)
                if not this_run.long_lived:
                    try:
                        return await self._legacy.run_handoff(handoff)
                    except ChildWorkflowError as err:
                        await self._failed(handoff_id, err)
                        continue
                state.active_handoff, state.closed_handoff = handoff_id, None
                # The child's activities read the lead's record: the MQL stage goes first.
                await self._records.flush()
                try:
                    with self._records.in_flight():
                        this_run.child = await workflow.start_child_workflow(
                            SalesHandoffWorkflow.run,
                            handoff,
                            id=handoff_id,
                            parent_close_policy=ParentClosePolicy.ABANDON,
                            # ended or not, a handoff of this ID is adopted, never redone
                            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                            search_attributes=self._child_attributes(),
                        )
                except WorkflowAlreadyStartedError:
                    # A reset run replays to before its handoff and starts it again: the
                    # handoff already exists, so adopt it rather than fail the lead.
                    this_run.child = None
                    await self._adopt(handoff_id)
            elif state.verify_handoff:  # resumed from the record: does sales still hold it?
                await self._adopt(state.active_handoff)
            state.verify_handoff = False
            if state.active_handoff is None:
                continue  # what was to be adopted never started: start it now
            handoff_id = state.active_handoff
            self.show()
            await workflow.wait_condition(
                lambda: (
                    state.closed_handoff is not None
                    or self._child_done()
                    or self._continuation.due()
                )
            )
            result = state.closed_handoff
            child = this_run.child
            if result is None and child is not None and child.done():
                try:
                    result = child.result()
                except ChildWorkflowError as err:
                    state.active_handoff, this_run.child = None, None
                    await self._failed(handoff_id, err)
                    continue
            if result is None:
                self._continuation.continue_as_new()
            state.active_handoff, state.closed_handoff, this_run.child = None, None, None
            return result

    async def _adopt(self, handoff_id: str) -> None:
        """Take over a handoff this run did not start: its end, if it ended, else its stage."""
        state = self._state
        with self._records.in_flight():
            found = await workflow.execute_activity_method(
                HandoffLookupActivities.look_up_handoff,
                handoff_id,
                start_to_close_timeout=policies.LOOKUP_TIMEOUT,
                retry_policy=policies.LOOKUP_RETRY,
            )
        await self._records.note("handoff", f"took over {handoff_id} (started by an earlier run)")
        if found.result is not None:
            state.closed_handoff = found.result
            stage = LEAD_STAGE.get(found.result.status)
            if stage is not None and stage != state.stage:  # won or lost while away
                why = "sales closed it in an earlier run"
                if found.result.lead_stage is not None:  # hand_off takes it from the result
                    # A reset run wrote its earlier stages over the handoff's: write it back.
                    await self._records.record_sales_stage(stage, why, found.result.rep_id)
                else:
                    state.rep_id = found.result.rep_id
                    await self._records.set_stage(stage, why, state.rep_id)
        elif not found.running:  # it never existed after all: start it afresh
            state.active_handoff = None
            state.handoffs -= 1
        elif found.lead_recorded:  # the handoff writes the sales stage; the lead's own is mql
            state.rep_id = found.rep_id
            if found.stage is not None and found.stage != state.stage:
                # A reset run wrote its earlier stages over the handoff's: write it back.
                why = "handed to sales by an earlier run"
                await self._records.record_sales_stage(found.stage, why, found.rep_id)
            if state.stage != Stage.MQL:  # resumed from the record, which has the sales stage
                self._records.take_stage(Stage.MQL)
        elif found.stage is not None and found.stage != state.stage:
            state.rep_id = found.rep_id
            await self._records.set_stage(
                found.stage, "handed to sales by an earlier run", found.rep_id
            )

    async def hear(self, progress: SalesProgress) -> None:
        """News from the handoff child: sales acknowledged, reassigned, opened a deal, won or
        lost. Sales stages move forward only."""
        state = self._state
        known = progress.handoff_id is None or progress.handoff_id == state.active_handoff
        if self._run.long_lived and not known:  # (pre-patch leads track no active handoff)
            # A reset run hears its old handoff before it has taken it over: the take-over
            # asks where the handoff stands, so this news is not needed (nor in order).
            await self._records.note(
                "sales", f"{progress.handoff_id}: {progress.stage.value} noted"
            )
            return
        if progress.waiting_for_rep:  # the stage stays: the timeline and details say why
            state.waiting_for_rep = True
            await self._records.note("sales", progress.reason)
            self.show()
            return
        state.waiting_for_rep = False
        if progress.recorded:  # a rep took it after all; the handoff wrote the stage
            state.rep_id = progress.rep_id
            self.show()
            return
        if SALES_ORDER.get(progress.stage, 0) < SALES_ORDER.get(state.stage, 0):
            await self._records.note("sales", f"ignored a move back to {progress.stage.value}")
            return
        state.rep_id = progress.rep_id
        await self._records.set_stage(progress.stage, progress.reason, rep_id=progress.rep_id)
        self.show()

    def show(self) -> None:
        """The Temporal UI's line for a lead with sales: which handoff, which stage."""
        if self._state.active_handoff is None:
            return
        if self._state.waiting_for_rep:
            workflow.set_current_details(
                f"waiting for a sales rep: {self._state.active_handoff} (none is available)"
            )
            return
        handoff, stage = self._state.active_handoff, self._state.stage
        if stage == Stage.MQL:  # a handoff that writes the sales stage does not tell it here
            workflow.set_current_details(f"with sales: {handoff}")
            return
        workflow.set_current_details(f"with sales: {handoff} ({stage.value})")

    def _child_done(self) -> bool:
        """The handoff child started by this run has ended (after continue-as-new there is
        none: its end arrives as a signal)."""
        return self._run.child is not None and self._run.child.done()

    def _child_attributes(self) -> TypedSearchAttributes | None:
        """BATCHED: the handoff starts showing where it stands, so it need not upsert it."""
        if not self._run.batched:
            return None
        return TypedSearchAttributes([SearchAttributePair(HANDOFF_STATE, PENDING_STATE)])

    def _why_mql(self) -> str:
        """The MQL stage's reason; with the two axes once the run knows them (the model,
        in its activity, decided the crossing: a rule on the axes or the threshold)."""
        state = self._state
        if state.account_group:  # the account's buying group made it (lead_account)
            return f"{state.account_why}; score {state.score.score}"
        if not self._run.axes or state.fit_grade is None:
            return f"score {state.score.score} reached the MQL threshold {SLA.handoff_threshold}"
        return (
            f"met the MQL criterion: score {state.score.score}, fit {state.fit_grade}, "
            f"engagement {state.engagement}"
        )

    def _handoff_input(self, handoff_id: str) -> HandoffInput:
        return HandoffInput(
            handoff_id=handoff_id,
            lead_id=self._lead.lead_id,
            score=self._state.score.score,
            breakdown=dict(self._state.score.breakdown),
            profile=self._lead.profile,
        )

    async def _failed(self, handoff_id: str, err: ChildWorkflowError) -> None:
        cause = type(err.cause).__name__ if err.cause else "unknown"
        await self._records.note(
            "handoff_failed",
            f"handoff {handoff_id} failed ({cause}); retrying in {HANDOFF_RETRY_EVERY}",
        )
        await workflow.sleep(HANDOFF_RETRY_EVERY)

    async def recycle(self, result: HandoffResult) -> None:
        """Back from sales without a deal: behaviour points reset, slower recycle track."""
        why = RECYCLE_WHY[result.status]
        await self._scoring.reset_behaviour(f"recycled ({why})")
        state = self._state
        state.rep_id = None
        state.qualified = False
        self._lead.scenario = SLA.recycle_scenario
        state.step = None
        await self._records.record_step(workflow.now())
        await self._records.set_stage(Stage.RECYCLED, why, clear_rep=True)
        self._scenarios.begin(SLA.recycle_scenario)
