"""How the lead workflow scores: behaviour events, profile changes and decay.

A mixin of LeadWorkflow. The scoring model runs in a local activity, so a lead replays with
the points it really got even after the model changed; leads started before that (see
`LONG_LIVED` in lead.py) keep scoring inside the workflow as they always did.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.scoring import apply_scoring
    from nurture.authoring.journal import EventLog
    from nurture.models import AppliedEvent, BehaviourEvent, LeadProfile
    from nurture.rules.score_state import ScoreOutcome, ScoreRequest
    from scenarios.scoring import MODEL
    from scenarios.sla import SLA
    from workflows import policies
    from workflows.lead_mail import NURTURE_STAGES
    from workflows.lead_scenarios import LeadScenarios


class LeadScoring(LeadScenarios):
    events: EventLog
    _v2: bool
    _inbox: list[BehaviourEvent]
    _stopping: str | None

    def _continue_wanted(self) -> bool:
        return False  # LeadContinuation knows better

    async def _process_inbox(self) -> None:
        while True:
            # Under a steady stream of events, new batches wait for the next run: the
            # inbox is carried, and continue-as-new gets its quiet moment.
            await workflow.wait_condition(
                lambda: bool(self._inbox) and not self._continue_wanted() and not self._stopping
            )
            batch, self._inbox = self._inbox, []
            now = workflow.now()
            if self._v2:
                for event in batch:
                    self.events.append(event, now)
                outcome = await self._scored(ScoreRequest(state=self._score, at=now, events=batch))
                self._check_goal()
                await self._record_score(now, events=outcome.applied)
                await self._note_crossing(outcome)
            else:
                applied = self._score_in_workflow(batch, now)
                self._check_threshold()  # before the write: a slow database must not delay MQL
                await self._record_score(now, events=applied)

    async def _decay_clock(self) -> None:
        """Behaviour points decay after a quiet spell: one timer per spell, not one per event."""
        while True:
            await workflow.wait_condition(lambda: self._score.next_decay_at is not None)
            due = self._score.next_decay_at
            if due is None:
                continue
            if due > workflow.now():
                await workflow.sleep(due - workflow.now())
                continue  # behaviour since then may have moved the due time: look again
            now = workflow.now()
            outcome = await self._scored(ScoreRequest(state=self._score, at=now, decay=True))
            await self._record_score(now, lines=outcome.lines)
            await self._note_crossing(outcome)

    async def _apply_profile(self, profile: LeadProfile, cause: str) -> None:
        self.profile = profile
        now = workflow.now()
        outcome: ScoreOutcome | None = None
        if self._v2:
            request = ScoreRequest(state=self._score, at=now, profile=profile, cause=cause)
            outcome = await self._scored(request)
            lines = outcome.lines
        else:
            lines = MODEL.apply_profile(self._score, profile, cause)
            self._check_threshold()
        self._upsert_search_attributes()
        await self._record_score(now, lines=lines)
        if outcome is not None:
            await self._note_crossing(outcome)

    async def _reset_behaviour(self, why: str) -> None:
        """Back from sales without a deal: the lead must show fresh interest to qualify again."""
        now = workflow.now()
        if self._v2:
            outcome = await self._scored(
                ScoreRequest(state=self._score, at=now, reset_behaviour=why)
            )
            lines = outcome.lines
        else:
            lines = MODEL.reset_behaviour(self._score, why)
        await self._record_score(now, lines=lines)

    async def _scored(self, request: ScoreRequest) -> ScoreOutcome:
        """Apply the scoring model in a local activity; history keeps the outcome."""
        with self._in_flight():
            outcome = await workflow.execute_local_activity(
                apply_scoring,
                request,
                start_to_close_timeout=policies.SCORE_TIMEOUT,
                retry_policy=policies.SCORE_RETRY,
            )
        self._score = outcome.state
        if outcome.crossed and self._may_qualify():
            self._qualified = True  # before any write: a slow database must not delay MQL
        return outcome

    def _may_qualify(self) -> bool:
        return not self._qualified and not self._mail_stopped and self._stage in NURTURE_STAGES

    async def _note_crossing(self, outcome: ScoreOutcome) -> None:
        """A crossing that cannot start a handoff (the lead is with sales, or takes no mail)."""
        if outcome.crossed and not self._qualified:
            await self._note(
                "mql_crossing",
                f"score {self.score} crossed the MQL threshold again while {self._stage.value} "
                f"(crossing {outcome.state.crossings}); no new handoff",
            )

    # --- leads started before LONG_LIVED: scored inside the workflow ------------------

    def _score_in_workflow(self, batch: list[BehaviourEvent], now: datetime) -> list[AppliedEvent]:
        """Every event scores its rule's full points: no once-only rules, caps or decay."""
        applied: list[AppliedEvent] = []
        for event in batch:
            self.events.append(event, now)
            rule = MODEL.behaviour_rule(event.type)
            points = rule.points if rule else 0
            if rule and points:
                self._breakdown[rule.key] = self._breakdown.get(rule.key, 0) + points
            applied.append(
                AppliedEvent(
                    event=event,
                    points=points,
                    score_after=self.score,
                    rule=rule.key if rule else None,
                )
            )
        return applied

    def _check_threshold(self) -> None:
        if self._may_qualify():
            self._qualified = self.score >= SLA.handoff_threshold
