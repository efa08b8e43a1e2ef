"""How the lead workflow scores: behaviour events, profile changes and decay.

The scoring model runs in a local activity, so a lead replays with the points it really
got even after the model changed. Leads started before that keep scoring inside the
workflow as they always did (workflows/lead_legacy.py).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.scoring import apply_scoring
    from nurture.models import LeadProfile
    from nurture.rules.score_state import ScoreOutcome, ScoreRequest
    from workflows import lead_index, policies
    from workflows.lead_account import LeadAccount
    from workflows.lead_continue import LeadContinuation
    from workflows.lead_legacy import PrePatch
    from workflows.lead_records import LeadRecords
    from workflows.lead_scenarios import LeadScenarios
    from workflows.lead_state import LeadInput, LeadState, StateEvents, ThisRun


class LeadScoring:
    """Applies the scoring model to every change, and marks the lead qualified on a crossing."""

    __slots__ = (
        "_account",
        "_continuation",
        "_events",
        "_lead",
        "_legacy",
        "_records",
        "_run",
        "_scenarios",
        "_state",
    )

    def __init__(
        self,
        lead: LeadInput,
        state: LeadState,
        this_run: ThisRun,
        *,
        events: StateEvents,
        records: LeadRecords,
        scenarios: LeadScenarios,
        continuation: LeadContinuation,
        legacy: PrePatch,
        account: LeadAccount,
    ) -> None:
        self._account = account
        self._lead = lead
        self._state = state
        self._run = this_run
        self._events = events
        self._records = records
        self._scenarios = scenarios
        self._continuation = continuation
        self._legacy = legacy

    async def process_inbox(self) -> None:
        state, this_run = self._state, self._run
        while True:
            # Under a steady stream of events, new batches wait for the next run: the
            # inbox is carried, and continue-as-new gets its quiet moment.
            await workflow.wait_condition(
                lambda: (
                    bool(state.inbox) and not self._continuation.wanted() and not this_run.stopping
                )
            )
            batch, state.inbox = state.inbox, []
            now = workflow.now()
            if not this_run.long_lived:
                await self._legacy.score_batch(batch, now)
                continue
            for event in batch:
                self._events.append(event, now)
            before = state.engagement
            outcome = await self._scored(ScoreRequest(state=state.score, at=now, events=batch))
            self._scenarios.check_goal()
            await self._records.record_score(now, events=outcome.applied)
            await self._note_crossing(outcome)
            await self._account.consider(before)  # (ACCOUNT_HANDOFF runs)

    async def decay_clock(self) -> None:
        """Behaviour points decay after a quiet spell: one timer per spell, not one per event."""
        state = self._state
        while True:
            await workflow.wait_condition(lambda: state.score.next_decay_at is not None)
            due = state.score.next_decay_at
            if due is None:
                continue
            if due > workflow.now():
                await workflow.sleep(due - workflow.now())
                continue  # behaviour since then may have moved the due time: look again
            now = workflow.now()
            outcome = await self._scored(ScoreRequest(state=state.score, at=now, decay=True))
            await self._records.record_score(now, lines=outcome.lines)
            await self._note_crossing(outcome)

    async def apply_profile(
        self, profile: LeadProfile, cause: str, scored: ScoreOutcome | None = None
    ) -> None:
        """`scored`: the starter's outcome of this very request (a new lead's intake)."""
        self._lead.profile = profile
        now = workflow.now()
        outcome: ScoreOutcome | None = None
        if self._run.long_lived:
            if scored is not None:
                outcome = self._took(scored)
            else:
                request = ScoreRequest(
                    state=self._state.score, at=now, profile=profile, cause=cause
                )
                outcome = await self._scored(request)
            lines = outcome.lines
        else:
            lines = self._legacy.apply_profile(profile, cause)
        self._records.upsert_search_attributes()
        await self._records.record_score(now, lines=lines)
        if outcome is not None:
            await self._note_crossing(outcome)

    async def reset_behaviour(self, why: str) -> None:
        """Back from sales without a deal: the lead must show fresh interest to qualify again."""
        now = workflow.now()
        if self._run.long_lived:
            outcome = await self._scored(
                ScoreRequest(state=self._state.score, at=now, reset_behaviour=why)
            )
            lines = outcome.lines
        else:
            lines = self._legacy.reset_behaviour(why)
        await self._records.record_score(now, lines=lines)

    async def _scored(self, request: ScoreRequest) -> ScoreOutcome:
        """Apply the scoring model in a local activity; history keeps the outcome."""
        with self._records.in_flight():
            outcome = await workflow.execute_local_activity(
                apply_scoring,
                request,
                start_to_close_timeout=policies.SCORE_TIMEOUT,
                retry_policy=policies.SCORE_RETRY,
            )
        return self._took(outcome)

    async def know_axes(self) -> None:
        """FIT_AXES: a run carried from a run of older code (or started by an older starter)
        does not know the score's two axes yet; the model, in its activity, says them once
        (the score state stays as it is: nothing is scored)."""
        state = self._state
        if not self._run.axes or state.fit_grade is not None:
            return
        with self._records.in_flight():
            outcome = await workflow.execute_local_activity(
                apply_scoring,
                ScoreRequest(state=state.score, at=workflow.now()),
                start_to_close_timeout=policies.SCORE_TIMEOUT,
                retry_policy=policies.SCORE_RETRY,
            )
        if (axes := lead_index.axes_of(outcome)) is not None:
            state.fit_grade, state.engagement = axes

    def _took(self, outcome: ScoreOutcome) -> ScoreOutcome:
        self._state.score = outcome.state
        if (axes := lead_index.axes_of(outcome)) is not None:  # None: recorded before them
            self._state.fit_grade, self._state.engagement = axes
        if outcome.crossed and self._state.may_qualify():
            self._state.qualified = True  # before any write: a slow database must not delay MQL
        return outcome

    async def _note_crossing(self, outcome: ScoreOutcome) -> None:
        """A crossing that cannot start a handoff (the lead is with sales, or takes no mail)."""
        state = self._state
        if outcome.crossed and not state.qualified:
            await self._records.note(
                "mql_crossing",
                f"score {state.score.score} crossed the MQL threshold again while "
                f"{state.stage.value} (crossing {outcome.state.crossings}); no new handoff",
            )
