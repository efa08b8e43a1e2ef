"""Leads started before the `lead-long-lived-v2` patch, and the rule for deleting this module.

Commit 977b54e (2026-11-25 15:33 UTC) made leads live for months: scoring in a local
activity, continue-as-new, behaviour decay, the long-term track after a scenario, a
handoff child that outlives the run. Behind `workflow.patched(LONG_LIVED)`, so that a lead
started before it replays the path it took: `ThisRun.long_lived` is False for those runs,
and everything they still do differently is here. What they do NOT do (continue as new,
decay, move to the long-term track, ignore news of a handoff they do not know) is a
`long_lived` test at its one place in the new path.

When this module may go: when
`nurture replay --query 'WorkflowType="LeadWorkflow" AND ExecutionStatus="Running"'`
reports no running lead on the pre-patch path, and not before 2027-01-27. The date: the
longest nurture of the pre-patch era is the recycle track (30 days to the check-in, 30
more to the new content, each send held to the lead's working hours). A lead that was in
it at the patch's deploy entered it by 2026-11-25 15:33 UTC; its check-in fell due on
Saturday 2026-12-26 00:33 in Tokyo, went out Monday 2026-12-28 09:00, and its new content
30 days on, Wednesday 2027-01-27 09:00 (the latest of any time zone's). The query is the
rule, the date only when it can first pass: a pre-patch lead never ends by itself (after
its scenario it waits for an enrolment, after a deal it waits for ever), and one that
went to sales after the patch can be in a later recycle. A pre-patch lead the query still
finds after the date can be moved: `nurture leads stop` and `nurture leads resume` start it
again from its record on the long-lived path (once sales is done with it: a lead with
sales refuses the stop).

To delete: remove this module and every `long_lived` test (mypy names them all), and
replace `workflow.patched(LONG_LIVED)` in lead.py with `workflow.deprecate_patch(LONG_LIVED)`
(samples-python `patching/`): runs that recorded the patch still replay. That call can go
in turn when a replay without it (`nurture replay --query ...` again) passes for every
running lead: a history holding the marker `patched` wrote fails once nothing asks for it.
The recorded histories of pre-patch runs (`nurture replay tests/histories` marks them
"pre-patch path": whitepaper-quiet, whitepaper-won) go with the module.
"""

from __future__ import annotations

from datetime import date, datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from nurture.models import (
        AppliedEvent,
        BehaviourEvent,
        HandoffInput,
        HandoffResult,
        LeadProfile,
        ScoreLine,
    )
    from scenarios.scoring import MODEL
    from scenarios.sla import SLA
    from workflows.handoff import SalesHandoffWorkflow
    from workflows.lead_records import LeadRecords
    from workflows.lead_state import LeadState, StateEvents, ThisRun

LONG_LIVED = "lead-long-lived-v2"
NOT_BEFORE = date(2027, 1, 27)  # see the module docstring


class PrePatch:
    """What a lead started before LONG_LIVED does where today's leads do otherwise."""

    __slots__ = ("_events", "_records", "_run", "_state")

    def __init__(
        self, state: LeadState, this_run: ThisRun, *, events: StateEvents, records: LeadRecords
    ) -> None:
        self._state = state
        self._run = this_run
        self._events = events
        self._records = records

    async def score_batch(self, batch: list[BehaviourEvent], now: datetime) -> None:
        """Every event scores its rule's full points: no once-only rules, caps or decay."""
        applied = self._score_in_workflow(batch, now)
        self._check_threshold()  # before the write: a slow database must not delay MQL
        await self._records.record_score(now, events=applied)

    def apply_profile(self, profile: LeadProfile, cause: str) -> list[ScoreLine]:
        lines = MODEL.apply_profile(self._state.score, profile, cause)
        self._check_threshold()
        return lines

    def reset_behaviour(self, why: str) -> list[ScoreLine]:
        return MODEL.reset_behaviour(self._state.score, why)

    async def run_handoff(self, handoff: HandoffInput) -> HandoffResult:
        """The handoff as a child the run waits for: it cannot outlive the run (which never
        continues as new anyway)."""
        return await workflow.execute_child_workflow(
            SalesHandoffWorkflow.run, handoff, id=handoff.handoff_id
        )

    async def stay_closed(self) -> None:
        """Won or lost: keep scoring what the lead does (the inbox processor runs on)
        until ops stop the lead; no continue-as-new, ever."""
        await workflow.wait_condition(lambda: self._run.stopping is not None)

    def _score_in_workflow(self, batch: list[BehaviourEvent], now: datetime) -> list[AppliedEvent]:
        score = self._state.score
        applied: list[AppliedEvent] = []
        for event in batch:
            self._events.append(event, now)
            rule = MODEL.behaviour_rule(event.type)
            points = rule.points if rule else 0
            if rule and points:
                score.breakdown[rule.key] = score.breakdown.get(rule.key, 0) + points
            applied.append(
                AppliedEvent(
                    event=event,
                    points=points,
                    score_after=score.score,
                    rule=rule.key if rule else None,
                )
            )
        return applied

    def _check_threshold(self) -> None:
        if self._state.may_qualify():
            self._state.qualified = self._state.score.score >= SLA.handoff_threshold
