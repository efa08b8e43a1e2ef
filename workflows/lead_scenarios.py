"""How the lead workflow runs scenarios: one after another, goals, moves, re-enrolment.

A mixin of LeadWorkflow. A scenario ends when it returns, when its goal is reached, when
it moves the lead on, or when the lead is enrolled elsewhere; the lead then goes where the
scenario says (by default the long-term track), so no lead is ever dropped silently.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.read_model import ReadModelActivities
    from nurture.authoring.journal import EventLog
    from nurture.authoring.runtime import Lead, ScenarioStopped
    from nurture.authoring.scenario_spec import Scenario
    from nurture.authoring.state import ScenarioRun
    from nurture.models import SplitRecord
    from scenarios import LONG_TERM, SCENARIOS
    from workflows import policies
    from workflows.lead_mail import LeadMail
    from workflows.lead_state import Phase

# The same scenario asked for again this soon is the same sign-up (a form sent twice).
SAME_SIGNUP = timedelta(hours=1)


class LeadScenarios(LeadMail):
    current: ScenarioRun | None
    events: EventLog
    _v2: bool
    _phase: Phase
    _entered: dict[str, datetime]
    _switch_to: str | None
    _switch_why: str | None  # not None: the current scenario must end, then go to _switch_to
    _splits: dict[str, str]

    def _begin(self, name: str) -> None:
        """A new enrolment in `name`: state only, no history."""
        self.enrolment += 1
        self.scenario = name
        now = workflow.now()
        self.current = ScenarioRun(
            scenario=name, enrolment=self.enrolment, started_at=now, events_mark=self.events.total
        )
        self._entered[name] = now

    async def _enter(self, name: str, why: str) -> None:
        self._begin(name)
        self._step = None
        await self._record_step(workflow.now())
        await self._note("scenario", f"entered {name}: {why}")

    def _switch(self, to: str | None, why: str) -> None:
        """End the running scenario at its next await; then enter `to` (None: nothing)."""
        self._switch_to, self._switch_why = to, why
        self.current = None

    def move_to(self, scenario: str, why: str) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"no scenario named {scenario!r}")
        self._switch(scenario, why)

    def _next_after(self, spec: Scenario) -> str | None:
        if spec.then is not None:
            return spec.then or None
        return None if spec.name == LONG_TERM else LONG_TERM

    @property
    def _switching(self) -> bool:
        return self._switch_why is not None

    @property
    def _leaving(self) -> bool:
        return self._switching

    async def _nurture(self) -> None:
        """Run the lead's scenarios one after another for as long as it is being nurtured."""
        while not self.stopped:
            run = self.current
            if run is not None and not self._switching:
                await self._run_one(run)
                if self.stopped:
                    return
            if self._switching:
                to, why = self._switch_to, self._switch_why or ""
                self._switch_to, self._switch_why = None, None
                if to is not None:
                    await self._enter(to, why)
                    continue
            if self.current is run and run is not None:  # it ended by itself
                spec = SCENARIOS.get(run.scenario)
                following = self._next_after(spec) if spec and self._v2 else None
                self.current = None
                if following is not None:
                    await self._enter(following, f"{run.scenario} finished")
                    continue
            self.show_waiting("no scenario to run: waiting for an enrolment")
            await workflow.wait_condition(lambda: self._switching or self.stopped)

    async def _run_one(self, run: ScenarioRun) -> None:
        spec = SCENARIOS.get(run.scenario)
        if spec is None:
            await self._note("scenario_missing", f"no scenario named {run.scenario!r}")
            return
        lead = Lead(self, run)
        try:
            await spec.run(lead)
        except ScenarioStopped:
            return
        finally:
            if lead.diverged:
                workflow.logger.warning(
                    "lead %s: scenario %s left its journal's path after continue-as-new",
                    self.lead_id,
                    run.scenario,
                )
        if self.current is run:
            await self._note("scenario_done", f"scenario {run.scenario} finished")

    def _check_goal(self) -> None:
        """After new behaviour: has the running scenario reached its goal?"""
        run = self.current
        spec = SCENARIOS.get(run.scenario) if run is not None else None
        if run is None or spec is None or spec.goal is None or self._switching:
            return
        goal = spec.goal
        met = bool(goal.events) and bool(self.events.since(run.events_mark, goal.events))
        met = met or (goal.min_score is not None and self.score >= goal.min_score)
        if met:
            self._switch(
                self._next_after(spec), f"{spec.name} reached its goal ({goal.describe()})"
            )

    async def _reenrol(self, name: str) -> str:
        """Enrol the lead in `name` if it is being nurtured and the scenario's policy allows."""
        spec = SCENARIOS.get(name)
        if spec is None:
            return f"not enrolled: no scenario named {name!r}"
        if self._phase != Phase.NURTURE or self.stopped:
            return f"not enrolled in {name}: the lead is {self._stage.value}"
        now = workflow.now()
        run = self.current
        if run is not None and run.scenario == name and now - run.started_at < SAME_SIGNUP:
            return f"already in {name}"
        refusal = spec.reenrol.refusal(name, self._entered.get(name), now)
        if refusal is not None:
            await self._note("enrolment", f"not enrolled in {name}: {refusal}")
            return f"not enrolled: {refusal}"
        self._switch(name, "enrolled by intake")
        with contextlib.suppress(TimeoutError):  # a send in flight: it enters right after
            await workflow.wait_condition(
                lambda: not self._switching or self.stopped, timeout=timedelta(minutes=5)
            )
        return f"enrolled in {name}"

    async def record_split(self, split: str, variant: str) -> str:
        if split in self._splits:
            return self._splits[split]
        with self._in_flight():
            chosen: str = await workflow.execute_local_activity_method(
                ReadModelActivities.record_split,
                SplitRecord(lead_id=self.lead_id, at=workflow.now(), split=split, variant=variant),
                start_to_close_timeout=policies.RECORD_TIMEOUT,
                retry_policy=policies.RECORD_RETRY,
            )
        self._splits[split] = chosen
        return chosen
