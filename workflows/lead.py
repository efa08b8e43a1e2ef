"""The lead workflow: one per lead, for its whole life.

It scores every behaviour signal, runs the lead's scenarios one after another, and when
the score crosses the MQL threshold it stops the scenario and hands the lead to sales
through a child workflow. It is the only writer of the lead's score and stage. A lead
lives for months: its run continues-as-new when the history grows, carrying its state.

The work is split across mixins, one concern each: read-model writes (lead_records),
mail (lead_mail), scenarios (lead_scenarios), scoring (lead_scoring), continue-as-new
(lead_continue) and the sales handoff (lead_handoff).
"""

from __future__ import annotations

import asyncio
import hashlib

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.read_model import ReadModelActivities
    from nurture.models import (
        BEHAVIOUR_SIGNAL,
        HANDOFF_CLOSED_SIGNAL,
        SALES_PROGRESS_SIGNAL,
        UNSUBSCRIBE_SIGNAL,
        BehaviourEvent,
        EnrolRequest,
        HaltRecord,
        HandoffResult,
        HandoffStatus,
        LeadStatus,
        SalesProgress,
        Stage,
        StopRequest,
    )
    from workflows.lead_handoff import LeadHandoff
    from workflows.lead_mail import NURTURE_STAGES
    from workflows.lead_state import LeadCarry, LeadInput, Phase

RECYCLING = (HandoffStatus.REJECTED, HandoffStatus.WITHDRAWN)
# Leads started before this patch keep the behaviour they were started with: no
# continue-as-new, decay, long-term track, goals or scoring activity (docs/authoring.md).
LONG_LIVED = "lead-long-lived-v2"
HANDLERS_WAIT = "lead-handlers-wait-ready"
SALES_ORDER = {
    Stage.MQL: 1,
    Stage.SALES_PENDING: 2,
    Stage.SALES_ACCEPTED: 3,
    Stage.OPPORTUNITY: 4,
    Stage.WON: 5,
    Stage.LOST: 5,
}


def event_digest(event_id: str) -> str:
    """A short fingerprint of an event ID: the de-duplication window stays small to carry."""
    return hashlib.blake2b(event_id.encode(), digest_size=9).hexdigest()


@workflow.defn
class LeadWorkflow(LeadHandoff):
    @workflow.init
    def __init__(self, input: LeadInput) -> None:
        self.lead_id = input.lead_id
        self._input = input
        self._windowed = input.send_window
        self.scenario = input.scenario
        self.profile = input.profile
        self._v2 = False
        self._ready = input.carry is not None
        self._busy = 0
        self._indexed: tuple[object, ...] = ()
        self._scenario_task: asyncio.Task[None] | None = None
        self._stopping: str | None = None  # set by ops (`nurture leads stop`): why
        self._halted = False
        self._restore(input.carry or LeadCarry(enrolled_at=workflow.now(), stage=Stage.NEW))

    # --- Temporal entry points ----------------------------------------------

    @workflow.run
    async def run(self, input: LeadInput) -> None:
        self._v2 = workflow.patched(LONG_LIVED)
        resumed = input.carry is not None
        if not resumed:
            await self._apply_profile(input.profile, cause="intake")
            self._ready = True
        self._processor = asyncio.create_task(self._process_inbox())
        if self._v2:
            asyncio.create_task(self._decay_clock())  # noqa: RUF006 - lives as long as the run
        if resumed:
            self._upsert_search_attributes()
        else:
            await self._set_stage(Stage.NURTURING, f"enrolled in scenario {self.scenario}")
            self._begin(self.scenario)
        while True:
            if self._phase == Phase.NURTURE:
                # Not awaited: once qualified, the scenario ends at its next await by itself,
                # and a slow send must not hold back the handoff.
                self._scenario_task = asyncio.create_task(self._nurture())
                await workflow.wait_condition(
                    lambda: (
                        self._qualified
                        or self._continue_due()
                        or self._scenario_crashed()
                        or self._stopping is not None
                    )
                )
                if self._stopping is not None:
                    break
                if self._scenario_crashed():
                    # A bug in scenario code: fail the workflow task, so Temporal retries it
                    # until a fix is deployed (the UI shows the error), instead of a silent stop.
                    self._scenario_task.result()
                if not self._qualified:
                    self._continue_as_new()
                self._phase = Phase.HANDOFF
            if self._phase == Phase.HANDOFF:
                result = await self._hand_off()
                if result.status in RECYCLING:
                    await self._recycle(result)
                    self._phase = Phase.NURTURE
                    continue
                self._phase = Phase.CLOSED
            if not self._v2:
                # won or lost: keep scoring what the lead does (the processor runs on)
                await workflow.wait_condition(lambda: self._stopping is not None)
                break
            workflow.set_current_details(f"{self._stage.value}: behaviour is still scored")
            await workflow.wait_condition(
                lambda: self._continue_due() or self._stopping is not None
            )
            if self._stopping is not None:
                break
            self._continue_as_new()
        await self._halt(self._stopping or "")

    async def _halt(self, reason: str) -> None:
        """Stopped by ops: the scenario ends, the stage says why, unapplied events are kept
        in the read model, and the workflow completes (its events are parked from now on)."""
        task = self._scenario_task
        if task is not None and not task.done():
            task.cancel()  # a send held for days must not hold the stop
            await workflow.wait_condition(task.done)
        # The inbox processor takes no new batch once stopping; the one it may be scoring
        # finishes first, so no event is half-applied.
        await workflow.wait_condition(lambda: self._busy == 0)
        why = f"stopped by ops: {reason}"
        if self._stage in (*NURTURE_STAGES, Stage.MQL):
            await self._set_stage(Stage.DISQUALIFIED, why)
        else:  # won, lost, unsubscribed, bounced: the stage stays what it says
            await self._note("stopped", why)
        while True:  # events that came in meanwhile are kept too
            parked, self._inbox = self._inbox, []
            await self._record(
                ReadModelActivities.record_halt,
                HaltRecord(lead_id=self.lead_id, at=workflow.now(), parked=parked),
            )
            if not self._inbox:
                break
        self._halted = True
        workflow.set_current_details(f"stopped by ops: {reason}")
        await workflow.wait_condition(workflow.all_handlers_finished)

    def _scenario_crashed(self) -> bool:
        task = self._scenario_task
        return (
            task is not None
            and task.done()
            and not task.cancelled()
            and task.exception() is not None
        )

    @workflow.signal(name=BEHAVIOUR_SIGNAL)
    def behaviour(self, event: BehaviourEvent) -> None:
        """A behaviour event; the same `event_id` twice is applied once."""
        digest = event_digest(event.event_id)
        if digest in self._seen_ids:
            return
        if len(self._seen_order) == self._seen_order.maxlen:
            self._seen_ids.discard(self._seen_order[0])
        self._seen_ids.add(digest)
        self._seen_order.append(digest)
        self._inbox.append(event)

    @workflow.signal(name=UNSUBSCRIBE_SIGNAL)
    async def unsubscribe(self) -> None:
        """The lead unsubscribed: marketing mail stops now (mail to reps is unaffected)."""
        await self._until_ready()
        await self._stop_mail(Stage.UNSUBSCRIBED, "unsubscribed from marketing mail")

    @workflow.signal(name=SALES_PROGRESS_SIGNAL)
    async def sales_progress(self, progress: SalesProgress) -> None:
        """From the handoff child: sales acknowledged, reassigned, opened a deal, won or lost."""
        await self._until_ready()
        known = progress.handoff_id is None or progress.handoff_id == self._active_handoff
        if self._v2 and not known:  # (leads from before LONG_LIVED track no active handoff)
            # A reset run hears its old handoff before it has taken it over: the take-over
            # asks where the handoff stands, so this news is not needed (nor in order).
            await self._note("sales", f"{progress.handoff_id}: {progress.stage.value} noted")
            return
        if SALES_ORDER.get(progress.stage, 0) < SALES_ORDER.get(self._stage, 0):
            await self._note("sales", f"ignored a move back to {progress.stage.value}")
            return  # sales stages move forward only
        self._rep_id = progress.rep_id
        await self._set_stage(progress.stage, progress.reason, rep_id=progress.rep_id)
        self._show_handoff()

    async def _until_ready(self) -> None:
        """A handler that acts waits for the run to begin (only then, and only in runs that
        began after HANDLERS_WAIT: older histories replay with the handler acting at once).

        A reset run gets its signals again in its first task, beside the intake update, and
        a replay orders those two differently; a handler acting before the run began would
        make the reset lead's history fail to replay.
        """
        if not self._ready and workflow.patched(HANDLERS_WAIT):
            await workflow.wait_condition(lambda: self._ready)

    @workflow.signal(name=HANDOFF_CLOSED_SIGNAL)
    def handoff_closed(self, result: HandoffResult) -> None:
        """From the handoff child as it ends; reaches the current run after continue-as-new."""
        if result.handoff_id == self._active_handoff:
            self._closed_handoff = result

    @workflow.update
    async def enrol(self, request: EnrolRequest) -> LeadStatus:
        """Intake (update-with-start): apply profile changes, enter the scenario asked for
        when its re-enrolment policy allows, and answer with the lead's state."""
        self._intakes += 1
        first = self._intakes == 1
        await workflow.wait_condition(lambda: self._ready)
        if request.profile != self.profile:
            await self._apply_profile(request.profile, cause="profile update")
        decision = await self._reenrol(request.scenario) if request.scenario else None
        return self.status().model_copy(update={"enrolment": decision, "first_intake": first})

    @workflow.update
    async def stop(self, request: StopRequest) -> LeadStatus:
        """Ops stop the lead for good: no more mail, no more scoring; `nurture leads resume`
        starts it again from its record."""
        self._stopping = request.reason
        await workflow.wait_condition(lambda: self._halted)
        return self.status()

    @stop.validator
    def _validate_stop(self, request: StopRequest) -> None:
        if self._phase == Phase.HANDOFF or self._active_handoff is not None:
            raise ApplicationError(
                f"the lead is with sales ({self._active_handoff or 'handoff starting'}): its "
                "rep must reject it or record the outcome first",
                type="WithSales",
            )
        if self._stopping is not None:
            raise ApplicationError("the lead is already being stopped", type="Stopping")

    @workflow.query
    def status(self) -> LeadStatus:
        return LeadStatus(
            lead_id=self.lead_id,
            scenario=self.scenario,
            stage=self._stage,
            step=self._step,
            score=self.score,
            breakdown=dict(self._breakdown),
            rep_id=self._rep_id,
            events_applied=self.events.total,
            runs=self._runs,
            waiting=workflow.get_current_details(),
        )
