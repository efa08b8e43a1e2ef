"""The lead workflow: one per lead, for its whole life.

It scores every behaviour signal, runs the lead's scenarios one after another, and when
the score crosses the MQL threshold it stops the scenario and hands the lead to sales
through a child workflow. It is the only writer of the lead's score and of its marketing
stages (a handoff started after `handoff-records-lead-stage` writes the sales stages). A lead
lives for months: its run continues-as-new when the history grows.

Everything the lead knows is two objects, `lead` (who it is, lead_state.LeadInput) and
`state` (where it stands, lead_state.LeadState), handed to the next run as they are. Here
are the run loop and the handlers; the work is done by helpers that share those objects:
records (lead_records), mail (lead_mail), scenarios (lead_scenarios), scoring
(lead_scoring), continue-as-new (lead_continue), the sales handoff (lead_handoff), the
account it may carry to sales (lead_account), the ops stop (lead_stop), and what leads
started before `LONG_LIVED` still do (lead_legacy).
"""

from __future__ import annotations

import asyncio
import hashlib

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import HandlerUnfinishedPolicy

with workflow.unsafe.imports_passed_through():
    from nurture.models import (
        BEHAVIOUR_SIGNAL,
        HANDOFF_CLOSED_SIGNAL,
        INTAKE_SIGNAL,
        NOT_HANDED,
        SALES_PROGRESS_SIGNAL,
        UNSUBSCRIBE_SIGNAL,
        BehaviourEvent,
        EnrolRequest,
        HandoffResult,
        HandoffStatus,
        LeadStatus,
        SalesProgress,
        Stage,
        StopRequest,
    )
    from workflows.lead_account import ACCOUNT_HANDOFF, LeadAccount
    from workflows.lead_continue import LeadContinuation
    from workflows.lead_handoff import LeadHandoff
    from workflows.lead_legacy import LONG_LIVED, PrePatch
    from workflows.lead_mail import LeadMail
    from workflows.lead_records import BATCHED, FIT_AXES, LeadRecords
    from workflows.lead_scenarios import LeadScenarios
    from workflows.lead_scoring import LeadScoring
    from workflows.lead_state import (
        DEDUP_WINDOW,
        LeadInput,
        LeadState,
        Phase,
        StateEvents,
        ThisRun,
    )
    from workflows.lead_stop import LeadStop

RECYCLING = (HandoffStatus.REJECTED, HandoffStatus.WITHDRAWN)
HANDLERS_WAIT = "lead-handlers-wait-ready"


def event_digest(event_id: str) -> str:
    """A short fingerprint of an event ID: the de-duplication window stays small to carry."""
    return hashlib.blake2b(event_id.encode(), digest_size=9).hexdigest()


@workflow.defn
class LeadWorkflow:
    @workflow.init
    def __init__(self, input: LeadInput) -> None:
        self.lead = input
        self.state = state = input.carry or LeadState(enrolled_at=workflow.now(), stage=Stage.NEW)
        state.entered = state.entered or {input.scenario: state.enrolled_at}
        del state.seen[:-DEDUP_WINDOW]
        self.this_run = this_run = ThisRun(ready=input.carry is not None, seen_ids=set(state.seen))
        # The helpers, each given the shared objects and the helpers it works with.
        self.events = StateEvents(state)
        self.records = LeadRecords(input, state, this_run)
        self.mail = LeadMail(input, state, this_run, records=self.records)
        self.scenarios = LeadScenarios(
            input, state, this_run, events=self.events, records=self.records, mail=self.mail
        )
        self.continuation = LeadContinuation(input, state, this_run)
        self.legacy = PrePatch(state, this_run, events=self.events, records=self.records)
        self.account = LeadAccount(input, state, this_run, records=self.records)
        self.scoring = LeadScoring(
            input,
            state,
            this_run,
            events=self.events,
            records=self.records,
            scenarios=self.scenarios,
            continuation=self.continuation,
            legacy=self.legacy,
            account=self.account,
        )
        self.handoff = LeadHandoff(
            input,
            state,
            this_run,
            records=self.records,
            scoring=self.scoring,
            scenarios=self.scenarios,
            continuation=self.continuation,
            legacy=self.legacy,
        )
        self.stop_run = LeadStop(input, state, this_run, records=self.records)

    # --- Temporal entry points ----------------------------------------------

    @workflow.run
    async def run(self, input: LeadInput) -> None:
        state, this_run = self.state, self.this_run
        resumed = input.carry is not None
        this_run.accounts = workflow.patched(ACCOUNT_HANDOFF)  # old histories: False
        this_run.axes = this_run.accounts or workflow.patched(FIT_AXES)
        this_run.batched = this_run.axes or workflow.patched(BATCHED)
        if not resumed:
            self.scenarios.refuse_unknown(input.scenario)
        this_run.long_lived = this_run.batched or workflow.patched(LONG_LIVED)
        if not resumed:
            # The starter's score of the profile, in the start event, for leads whose first
            # task runs batched: no worker ever ran batched code without taking it (the
            # patch and this landed together), so no history has both the marker and a
            # scoring activity for an input that holds a score. Older starters: scored here.
            scored = input.intake_score if this_run.batched else None
            self.account.told_at_start(input.account)
            await self.scoring.apply_profile(input.profile, cause="intake", scored=scored)
            this_run.ready = True
        await self.scoring.know_axes()  # (FIT_AXES: a run carried from older code asks once)
        this_run.processor = asyncio.create_task(self.scoring.process_inbox())
        if this_run.long_lived:
            asyncio.create_task(self.scoring.decay_clock())  # noqa: RUF006 - lives as long as the run
        if resumed:
            self.records.upsert_search_attributes()
        else:
            await self.records.set_stage(
                Stage.NURTURING, f"enrolled in scenario {self.lead.scenario}"
            )
            self.scenarios.begin(self.lead.scenario)
        while True:
            if state.phase == Phase.NURTURE:
                # Not awaited: once qualified, the scenario ends at its next await by itself,
                # and a slow send must not hold back the handoff.
                task = this_run.scenario_task = asyncio.create_task(self.scenarios.nurture())
                await workflow.wait_condition(
                    lambda: (
                        state.qualified
                        or self.continuation.due()
                        or self._scenario_crashed()
                        or this_run.stopping is not None
                    )
                )
                if this_run.stopping is not None:
                    break
                if self._scenario_crashed():
                    # A bug in scenario code: fail the workflow task, so Temporal retries it
                    # until a fix is deployed (the UI shows the error), instead of a silent stop.
                    task.result()
                if not state.qualified:
                    self.continuation.continue_as_new()
                state.phase = Phase.HANDOFF
            if state.phase == Phase.HANDOFF:
                result = await self.handoff.hand_off()
                await self.account.end(result.status.value)  # (a lead that carried one)
                if result.status in RECYCLING:
                    await self.handoff.recycle(result)
                    state.phase = Phase.NURTURE
                    continue
                state.phase = Phase.CLOSED
            if not this_run.long_lived:
                await self.legacy.stay_closed()
                break
            workflow.set_current_details(f"{state.stage.value}: behaviour is still scored")
            await workflow.wait_condition(
                lambda: self.continuation.due() or this_run.stopping is not None
            )
            if this_run.stopping is not None:
                break
            self.continuation.continue_as_new()
        await self.account.end(NOT_HANDED)  # (a lead stopped as it claimed its account)
        await self.stop_run.halt(this_run.stopping or "")

    def _scenario_crashed(self) -> bool:
        task = self.this_run.scenario_task
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
        seen, ids = self.state.seen, self.this_run.seen_ids
        if digest in ids:
            return
        if len(seen) >= DEDUP_WINDOW:
            ids.discard(seen.pop(0))
        ids.add(digest)
        seen.append(digest)
        self.state.inbox.append(event)

    @workflow.signal(name=UNSUBSCRIBE_SIGNAL)
    async def unsubscribe(self) -> None:
        """The lead unsubscribed: marketing mail stops now (mail to reps is unaffected)."""
        await self._until_ready()
        await self.mail.stop_mail(Stage.UNSUBSCRIBED, "unsubscribed from marketing mail")

    @workflow.signal(name=SALES_PROGRESS_SIGNAL)
    async def sales_progress(self, progress: SalesProgress) -> None:
        """From the handoff child: sales acknowledged, reassigned, opened a deal, won or lost."""
        await self._until_ready()
        await self.handoff.hear(progress)

    async def _until_ready(self) -> None:
        """A handler that acts waits for the run to begin (only then, and only in runs that
        began after HANDLERS_WAIT: older histories replay with the handler acting at once).

        A reset run gets its signals again in its first task, beside the intake update, and
        a replay orders those two differently; a handler acting before the run began would
        make the reset lead's history fail to replay. (FIT_AXES, then BATCHED, are the
        markers run() asks for first: a run that takes one waits too, and records one marker;
        ACCOUNT_HANDOFF before them.)
        """
        if not self.this_run.ready and (
            workflow.patched(ACCOUNT_HANDOFF)
            or workflow.patched(FIT_AXES)
            or workflow.patched(BATCHED)
            or workflow.patched(HANDLERS_WAIT)
        ):
            await workflow.wait_condition(lambda: self.this_run.ready)

    @workflow.signal(name=HANDOFF_CLOSED_SIGNAL)
    def handoff_closed(self, result: HandoffResult) -> None:
        """From the handoff child as it ends; reaches the current run after continue-as-new."""
        if result.handoff_id == self.state.active_handoff:
            self.state.closed_handoff = result

    @workflow.update
    async def enrol(self, request: EnrolRequest) -> LeadStatus:
        """Intake (update-with-start): apply profile changes, enter the scenario asked for
        when its re-enrolment policy allows, and answer with the lead's state."""
        self.state.intakes += 1
        first = self.state.intakes == 1
        decision = await self._take_intake(request)
        return self.status().model_copy(update={"enrolment": decision, "first_intake": first})

    @workflow.signal(name=INTAKE_SIGNAL, unfinished_policy=HandlerUnfinishedPolicy.ABANDON)
    async def intake(self, request: EnrolRequest) -> None:
        """Intake of a lead that ran before, for a sender that needs no answer (bulk intake,
        a CDP batch): what `enrol` does, without anyone waiting for a worker. It does not
        count in `intakes`: that tells the first *waiting* sender that the lead is new.
        Abandoned if the run ends first (a stop): the stop wins, as it would over `enrol`."""
        await self._take_intake(request)

    async def _take_intake(self, request: EnrolRequest) -> str | None:
        """Apply profile changes, enter the scenario asked for when its re-enrolment policy
        allows; what was decided about the scenario (None: none asked for)."""
        await workflow.wait_condition(lambda: self.this_run.ready)
        if request.scenario:
            self.scenarios.refuse_unknown(request.scenario)
        if request.profile != self.lead.profile:
            await self.scoring.apply_profile(request.profile, cause="profile update")
        return await self.scenarios.reenrol(request.scenario) if request.scenario else None

    @workflow.update
    async def stop(self, request: StopRequest) -> LeadStatus:
        """Ops stop the lead for good: no more mail, no more scoring; `nurture leads resume`
        starts it again from its record."""
        self.this_run.stopping = request.reason
        await workflow.wait_condition(lambda: self.this_run.halted)
        return self.status()

    @stop.validator
    def _validate_stop(self, request: StopRequest) -> None:
        state = self.state
        if state.phase == Phase.HANDOFF or state.active_handoff is not None:
            raise ApplicationError(
                f"the lead is with sales ({state.active_handoff or 'handoff starting'}): its "
                "rep must reject it or record the outcome first",
                type="WithSales",
            )
        if self.this_run.stopping is not None:
            raise ApplicationError("the lead is already being stopped", type="Stopping")

    @workflow.query
    def status(self) -> LeadStatus:
        state = self.state
        return LeadStatus(
            lead_id=self.lead.lead_id,
            scenario=self.lead.scenario,
            stage=state.stage,
            step=state.step,
            score=state.score.score,
            breakdown=dict(state.score.breakdown),
            fit_grade=state.fit_grade,
            engagement=state.engagement,
            rep_id=state.rep_id,
            events_applied=state.events_total,
            runs=state.runs,
            waiting=workflow.get_current_details(),
            with_sales=state.phase == Phase.HANDOFF,
        )
