"""How the lead workflow runs scenarios: one after another, goals, moves, re-enrolment.

A scenario ends when it returns, when its goal is reached, when it moves the lead on, or
when the lead is enrolled elsewhere; the lead then goes where the scenario says (by
default the long-term track), so no lead is ever dropped silently. `LeadScenarios` is
also what a scenario's `Lead` talks to (the `LeadHost` protocol).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.read_model import ReadModelActivities
    from nurture.authoring.journal import EventLog
    from nurture.authoring.runtime import Lead, LeadHost, ScenarioStopped
    from nurture.authoring.scenario_spec import Scenario
    from nurture.authoring.state import ScenarioRun
    from nurture.models import LeadProfile, SplitRecord
    from nurture.rules.business_time import BusinessCalendar
    from scenarios import LONG_TERM, SCENARIOS
    from workflows import policies
    from workflows.lead_mail import LeadMail
    from workflows.lead_records import LeadRecords
    from workflows.lead_state import LeadInput, LeadState, Phase, StateEvents, ThisRun

# The same scenario asked for again this soon is the same sign-up (a form sent twice).
SAME_SIGNUP = timedelta(hours=1)
# A scenario the API knows and this worker does not (a deploy that reached the API first)
# fails the workflow task instead of being noted: Temporal retries the task until a worker
# that knows the scenario takes it, and no history records a decision that later code,
# knowing the scenario, would replay differently.
UNKNOWN_SCENARIO_RETRIES = "unknown-scenario-retries"


class UnknownScenario(RuntimeError):
    """Not an ApplicationError on purpose: it fails the workflow task, not the lead."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"this worker knows no scenario named {name!r} "
            f"(known: {', '.join(sorted(SCENARIOS))}); the task is retried until a worker "
            "with the scenario's code takes it: deploy the workers too"
        )


class LeadScenarios:
    """Runs the lead's scenarios, and is the lead as they see it (`LeadHost`)."""

    __slots__ = ("_lead", "_mail", "_records", "_run", "_state", "events")

    def __init__(
        self,
        lead: LeadInput,
        state: LeadState,
        this_run: ThisRun,
        *,
        events: StateEvents,
        records: LeadRecords,
        mail: LeadMail,
    ) -> None:
        self._lead = lead
        self._state = state
        self._run = this_run
        self.events: EventLog = events  # LeadHost's type: a scenario only reads it
        self._records = records
        self._mail = mail

    # --- LeadHost: what a scenario reads and does ----------------------------------

    @property
    def lead_id(self) -> str:
        return self._lead.lead_id

    @lead_id.setter
    def lead_id(self, value: str) -> None:
        raise AttributeError("a lead's ID never changes")

    @property
    def profile(self) -> LeadProfile:
        return self._lead.profile

    @profile.setter
    def profile(self, value: LeadProfile) -> None:
        self._lead.profile = value

    @property
    def current(self) -> ScenarioRun | None:
        """The running enrolment; replacing it stops the scenario that holds the old one."""
        return self._state.run

    @current.setter
    def current(self, run: ScenarioRun | None) -> None:
        self._state.run = run

    @property
    def stopped(self) -> bool:
        return self._mail.stopped

    @property
    def score(self) -> int:
        return self._state.score.score

    def calendar(self) -> BusinessCalendar:
        return self._mail.calendar()

    def show_waiting(self, what: str) -> None:
        self._mail.show_waiting(what)

    async def send_step(self, step: str, occurrence: int) -> None:
        await self._mail.send_step(step, occurrence)

    def refuse_unknown(self, name: str) -> None:
        """Before any command of a task that would enter `name`: a worker without the
        scenario fails the task here, so its retries repeat nothing (UNKNOWN_SCENARIO_RETRIES).
        A lead that could not enter it anyway (with sales, stopped) is not held up."""
        if name in SCENARIOS or self._state.phase != Phase.NURTURE or self.stopped:
            return
        if self._retries_unknown():
            raise UnknownScenario(name)

    def _retries_unknown(self) -> bool:
        """UNKNOWN_SCENARIO_RETRIES, taken by every run that took BATCHED (one marker)."""
        return self._run.batched or workflow.patched(UNKNOWN_SCENARIO_RETRIES)

    def move_to(self, scenario: str, why: str) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"no scenario named {scenario!r}")
        self.switch(scenario, why)

    async def record_split(self, split: str, variant: str) -> str:
        splits = self._state.splits
        if split in splits:
            return splits[split]
        await self._records.flush()  # the timeline keeps the order things happened in
        with self._records.in_flight():
            chosen: str = await workflow.execute_local_activity_method(
                ReadModelActivities.record_split,
                SplitRecord(
                    lead_id=self._lead.lead_id, at=workflow.now(), split=split, variant=variant
                ),
                start_to_close_timeout=policies.RECORD_TIMEOUT,
                retry_policy=policies.RECORD_RETRY,
            )
        splits[split] = chosen
        return chosen

    # --- the order scenarios run in --------------------------------------------------

    def begin(self, name: str) -> None:
        """A new enrolment in `name`: state only, no history."""
        state = self._state
        state.enrolment += 1
        self._lead.scenario = name
        now = workflow.now()
        state.run = ScenarioRun(
            scenario=name, enrolment=state.enrolment, started_at=now, events_mark=self.events.total
        )
        state.entered[name] = now

    async def _enter(self, name: str, why: str) -> None:
        self.begin(name)
        self._state.step = None
        await self._records.record_step(workflow.now())
        await self._records.note("scenario", f"entered {name}: {why}")

    def switch(self, to: str | None, why: str) -> None:
        """End the running scenario at its next await; then enter `to` (None: nothing)."""
        self._state.switch_to, self._state.switch_why = to, why
        self._state.run = None

    def _next_after(self, spec: Scenario) -> str | None:
        if spec.then is not None:
            return spec.then or None
        return None if spec.name == LONG_TERM else LONG_TERM

    async def nurture(self) -> None:
        """Run the lead's scenarios one after another for as long as it is being nurtured."""
        state = self._state
        while not self.stopped:
            run = state.run
            if run is not None and not state.switching:
                await self._run_one(run)
                if self.stopped:
                    return
            if state.switching:
                to, why = state.switch_to, state.switch_why or ""
                state.switch_to, state.switch_why = None, None
                if to is not None:
                    await self._enter(to, why)
                    continue
            if state.run is run and run is not None:  # it ended by itself
                spec = SCENARIOS.get(run.scenario)
                # Leads started before LONG_LIVED wait for an enrolment (lead_legacy).
                following = self._next_after(spec) if spec and self._run.long_lived else None
                state.run = None
                if following is not None:
                    await self._enter(following, f"{run.scenario} finished")
                    continue
            self.show_waiting("no scenario to run: waiting for an enrolment")
            await workflow.wait_condition(lambda: state.switching or self.stopped)

    async def _run_one(self, run: ScenarioRun) -> None:
        spec = SCENARIOS.get(run.scenario)
        if spec is None:
            if self._retries_unknown():
                raise UnknownScenario(run.scenario)
            await self._records.note("scenario_missing", f"no scenario named {run.scenario!r}")
            return
        host: LeadHost = self
        lead = Lead(host, run)
        try:
            await spec.run(lead)
        except ScenarioStopped:
            return
        finally:
            if lead.diverged:
                workflow.logger.warning(
                    "lead %s: scenario %s left its journal's path after continue-as-new",
                    self._lead.lead_id,
                    run.scenario,
                )
        if self._state.run is run:
            await self._records.note("scenario_done", f"scenario {run.scenario} finished")

    def check_goal(self) -> None:
        """After new behaviour: has the running scenario reached its goal?"""
        run = self._state.run
        spec = SCENARIOS.get(run.scenario) if run is not None else None
        if run is None or spec is None or spec.goal is None or self._state.switching:
            return
        goal = spec.goal
        met = bool(goal.events) and bool(self.events.since(run.events_mark, goal.events))
        met = met or (goal.min_score is not None and self.score >= goal.min_score)
        if met:
            self.switch(self._next_after(spec), f"{spec.name} reached its goal ({goal.describe()})")

    async def reenrol(self, name: str) -> str:
        """Enrol the lead in `name` if it is being nurtured and the scenario's policy allows."""
        state = self._state
        spec = SCENARIOS.get(name)
        if spec is None and not self._retries_unknown():
            return f"not enrolled: no scenario named {name!r}"
        if state.phase == Phase.HANDOFF:
            return f"not enrolled in {name}: the lead is with sales"
        if state.phase != Phase.NURTURE or self.stopped:
            return f"not enrolled in {name}: the lead is {state.stage.value}"
        if spec is None:
            raise UnknownScenario(name)
        now = workflow.now()
        run = state.run
        if run is not None and run.scenario == name and now - run.started_at < SAME_SIGNUP:
            return f"already in {name}"
        refusal = spec.reenrol.refusal(name, state.entered.get(name), now)
        if refusal is not None:
            await self._records.note("enrolment", f"not enrolled in {name}: {refusal}")
            return f"not enrolled: {refusal}"
        self.switch(name, "enrolled by intake")
        with contextlib.suppress(TimeoutError):  # a send in flight: it enters right after
            await workflow.wait_condition(
                lambda: not state.switching or self.stopped, timeout=timedelta(minutes=5)
            )
        return f"enrolled in {name}"
