"""The lead workflow's writes to the read model and to its search attributes.

A mixin of LeadWorkflow. Read-model writes are local activities retried for an hour,
then given up (logged) rather than failing the lead: the workflow's state is the truth.
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
        LeadProfile,
        NoteRecord,
        ScoreLine,
        ScoreRecord,
        Stage,
        StageRecord,
        StepRecord,
    )
    from nurture.rules.score_state import ScoreState
    from workflows import policies

R = TypeVar("R")


class LeadRecords:
    lead_id: str
    scenario: str
    profile: LeadProfile
    _stage: Stage
    _step: str | None
    _score: ScoreState
    _score_version: int
    _runs: int
    _indexed: tuple[object, ...]
    _busy: int  # activities in flight: continue-as-new waits for none

    @property
    def score(self) -> int:
        return self._score.score

    @property
    def _breakdown(self) -> dict[str, int]:
        return self._score.breakdown

    async def _set_stage(
        self, stage: Stage, reason: str, rep_id: str | None = None, clear_rep: bool = False
    ) -> None:
        previous, self._stage = self._stage, stage
        self._upsert_search_attributes()
        await self._record(
            ReadModelActivities.record_stage,
            StageRecord(
                lead_id=self.lead_id,
                at=workflow.now(),
                from_stage=previous,
                to_stage=stage,
                reason=reason,
                rep_id=rep_id,
                clear_rep=clear_rep,
            ),
        )

    async def _record_step(self, at: datetime) -> None:
        self._upsert_search_attributes()
        await self._record(
            ReadModelActivities.record_step,
            StepRecord(lead_id=self.lead_id, at=at, scenario=self.scenario, step=self._step),
        )

    async def _record_score(
        self,
        at: datetime,
        lines: list[ScoreLine] | None = None,
        events: list[AppliedEvent] | None = None,
    ) -> None:
        self._upsert_search_attributes()
        self._score_version += 1
        await self._record(
            ReadModelActivities.record_score,
            ScoreRecord(
                lead_id=self.lead_id,
                at=at,
                version=self._write_version(),
                score=self.score,
                breakdown=dict(self._breakdown),
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
        return (millis << 12) | (self._score_version & 0xFFF)

    async def _note(self, kind: str, text: str) -> None:
        await self._record(
            ReadModelActivities.record_note,
            NoteRecord(lead_id=self.lead_id, at=workflow.now(), kind=kind, text=text),
        )

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        """Counts an activity (or child start) in flight: continue-as-new waits for none."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1

    async def _record(self, activity: Callable[[Any, R], None], record: R) -> None:
        """Write to the read model; after an hour of failures give up rather than fail the lead."""
        try:
            with self._in_flight():
                await workflow.execute_local_activity_method(
                    activity,
                    record,
                    start_to_close_timeout=policies.RECORD_TIMEOUT,
                    schedule_to_close_timeout=policies.RECORD_GIVE_UP_AFTER,
                    retry_policy=policies.RECORD_RETRY,
                )
        except ActivityError as err:
            workflow.logger.error("read model write %s given up: %s", type(record).__name__, err)

    def _upsert_search_attributes(self) -> None:
        values = (
            self.score,
            self._stage.value,
            self.scenario,
            self._step or "-",
            self.profile.source or "-",
        )
        if values == self._indexed:
            return  # each upsert is a history event: only write changes
        self._indexed = values
        workflow.upsert_search_attributes(
            [
                sa.LEAD_SCORE.value_set(values[0]),
                sa.LEAD_STAGE.value_set(values[1]),
                sa.SCENARIO.value_set(values[2]),
                sa.SCENARIO_STEP.value_set(values[3]),
                sa.SOURCE.value_set(values[4]),
            ]
        )
