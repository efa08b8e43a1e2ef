"""The lead workflow's writes to the read model and to its search attributes.

Read-model writes are local activities retried for an hour, then given up (logged)
rather than failing the lead: the workflow's state is the truth.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.read_model import ReadModelActivities
    from nurture import search_attributes as sa
    from nurture.models import (
        AppliedEvent,
        NoteRecord,
        ScoreLine,
        ScoreRecord,
        Stage,
        StageRecord,
        StepRecord,
    )
    from workflows import policies
    from workflows.lead_state import LeadInput, LeadState, ThisRun

R = TypeVar("R")


class LeadRecords:
    """Writes what the lead's state says to the read model and the search attributes."""

    __slots__ = ("_lead", "_run", "_state")

    def __init__(self, lead: LeadInput, state: LeadState, this_run: ThisRun) -> None:
        self._lead = lead
        self._state = state
        self._run = this_run

    async def set_stage(
        self, stage: Stage, reason: str, rep_id: str | None = None, clear_rep: bool = False
    ) -> None:
        previous, self._state.stage = self._state.stage, stage
        self.upsert_search_attributes()
        await self.record(
            ReadModelActivities.record_stage,
            StageRecord(
                lead_id=self._lead.lead_id,
                at=workflow.now(),
                from_stage=previous,
                to_stage=stage,
                reason=reason,
                rep_id=rep_id,
                clear_rep=clear_rep,
            ),
        )

    async def record_step(self, at: datetime) -> None:
        self.upsert_search_attributes()
        await self.record(
            ReadModelActivities.record_step,
            StepRecord(
                lead_id=self._lead.lead_id,
                at=at,
                scenario=self._lead.scenario,
                step=self._state.step,
            ),
        )

    async def record_score(
        self,
        at: datetime,
        lines: list[ScoreLine] | None = None,
        events: list[AppliedEvent] | None = None,
    ) -> None:
        self.upsert_search_attributes()
        self._state.score_version += 1
        await self.record(
            ReadModelActivities.record_score,
            ScoreRecord(
                lead_id=self._lead.lead_id,
                at=at,
                version=self._write_version(),
                score=self._state.score.score,
                breakdown=dict(self._state.score.breakdown),
                lines=lines or [],
                events=events or [],
            ),
        )

    def _write_version(self) -> int:
        """Orders score writes: by the workflow task's time, then a sequence.

        A workflow task retried after its local activities wrote (new events arrived, a
        worker died) runs later; so does every task of a run that ops reset, whose history
        is shorter than the old run's. Their writes must win over the earlier ones.
        """
        millis = int(workflow.now().timestamp() * 1000)
        return (millis << 12) | (self._state.score_version & 0xFFF)

    async def note(self, kind: str, text: str) -> None:
        await self.record(
            ReadModelActivities.record_note,
            NoteRecord(lead_id=self._lead.lead_id, at=workflow.now(), kind=kind, text=text),
        )

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Counts an activity (or child start) in flight: continue-as-new waits for none."""
        self._run.busy += 1
        try:
            yield
        finally:
            self._run.busy -= 1

    async def record(self, activity: Callable[[Any, R], None], record: R) -> None:
        """Write to the read model; after an hour of failures give up rather than fail the lead."""
        try:
            with self.in_flight():
                await workflow.execute_local_activity_method(
                    activity,
                    record,
                    start_to_close_timeout=policies.RECORD_TIMEOUT,
                    schedule_to_close_timeout=policies.RECORD_GIVE_UP_AFTER,
                    retry_policy=policies.RECORD_RETRY,
                )
        except ActivityError as err:
            workflow.logger.error("read model write %s given up: %s", type(record).__name__, err)

    def upsert_search_attributes(self) -> None:
        values = (
            self._state.score.score,
            self._state.stage.value,
            self._lead.scenario,
            self._state.step or "-",
            self._lead.profile.source or "-",
        )
        if values == self._run.indexed:
            return  # each upsert is a history event: only write changes
        self._run.indexed = values
        workflow.upsert_search_attributes(
            [
                sa.LEAD_SCORE.value_set(values[0]),
                sa.LEAD_STAGE.value_set(values[1]),
                sa.SCENARIO.value_set(values[2]),
                sa.SCENARIO_STEP.value_set(values[3]),
                sa.SOURCE.value_set(values[4]),
            ]
        )
