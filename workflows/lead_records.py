"""The lead workflow's writes to the read model and to its search attributes.

Read-model writes are local activities retried for an hour, then given up (logged)
rather than failing the lead: the workflow's state is the truth.

Runs that began after `BATCHED` write less: the stage, step, score and note writes of one
workflow task are held and written together by one local activity (`record_lead`, one
transaction, in order) once everything that task can run has run, with one upsert of the
search attributes as they are then (lead_index: only what ops search by). Each local
activity is a history event and each upsert one more; a new lead used to make four of each
in its first task. Whatever reads the read model (a send, a child, the ops stop) has the
held writes written first (`flush`).
"""

from __future__ import annotations

import asyncio
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
        LeadWrite,
        LeadWrites,
        NoteRecord,
        ScoreLine,
        ScoreRecord,
        Stage,
        StageRecord,
        StepRecord,
    )
    from workflows import lead_index, policies
    from workflows.lead_state import LeadInput, LeadState, ThisRun

R = TypeVar("R")
# Patch (2026-12-01): a task's read-model writes in one local activity, one upsert, the
# attributes set at the start. Runs that take it also take every older patch of the lead
# (LONG_LIVED, HANDLERS_WAIT, UNKNOWN_SCENARIO_RETRIES, DEFERRED_NOT_SENT): one marker.
BATCHED = "lead-records-batched"
# Patch (2026-12-02, issue 14): the run also upserts the score's two axes, FitGrade and
# Engagement (lead_index), and a continued run that does not know them yet asks the model
# once (lead_scoring.know_axes). Each is a command runs before it never made, so only runs
# that took this marker do it. Runs that take it also take BATCHED and every older patch
# (run() and _until_ready ask for it first): still one marker per run.
FIT_AXES = "lead-fit-engagement"


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
        if not self._run.batched:
            self.upsert_search_attributes()  # (batched: with the task's flush)
        await self._write_stage(previous, stage, reason, rep_id, clear_rep)

    async def record_sales_stage(self, stage: Stage, reason: str, rep_id: str | None) -> None:
        """Write a sales stage that its writer (the handoff) holds, leaving the run's own
        stage as it is: a reset run put the read model back to its stages, and adopts a
        handoff that will not write this stage again."""
        await self._write_stage(self._state.stage, stage, reason, rep_id)

    async def _write_stage(
        self,
        previous: Stage,
        stage: Stage,
        reason: str,
        rep_id: str | None,
        clear_rep: bool = False,
    ) -> None:
        record = StageRecord(
            lead_id=self._lead.lead_id,
            at=workflow.now(),
            from_stage=previous,
            to_stage=stage,
            reason=reason,
            rep_id=rep_id,
            clear_rep=clear_rep,
        )
        if self._run.batched:
            self._hold(LeadWrite(stage=record))
            return
        await self.record(ReadModelActivities.record_stage, record)

    def take_stage(self, stage: Stage) -> None:
        """A stage another writer recorded (the handoff, for sales moves): the run's state
        and search attributes follow it, the read model already has it."""
        self._state.stage = stage
        self.upsert_search_attributes()

    async def record_step(self, at: datetime) -> None:
        record = StepRecord(
            lead_id=self._lead.lead_id, at=at, scenario=self._lead.scenario, step=self._state.step
        )
        if self._run.batched:
            self._hold(LeadWrite(step=record))
            return
        self.upsert_search_attributes()
        await self.record(ReadModelActivities.record_step, record)

    async def record_score(
        self,
        at: datetime,
        lines: list[ScoreLine] | None = None,
        events: list[AppliedEvent] | None = None,
    ) -> None:
        if not self._run.batched:
            self.upsert_search_attributes()
        self._state.score_version += 1
        record = ScoreRecord(
            lead_id=self._lead.lead_id,
            at=at,
            version=self._write_version(),
            score=self._state.score.score,
            breakdown=dict(self._state.score.breakdown),
            lines=lines or [],
            events=events or [],
            fit_grade=self._state.fit_grade,
            engagement=self._state.engagement,
        )
        if self._run.batched:
            self._hold(LeadWrite(score=record))
            return
        await self.record(ReadModelActivities.record_score, record)

    def _write_version(self) -> int:
        """Orders score writes: by the workflow task's time, then a sequence.

        A workflow task retried after its local activities wrote (new events arrived, a
        worker died) runs later; so does every task of a run that ops reset, whose history
        is shorter than the old run's. Their writes must win over the earlier ones.
        """
        millis = int(workflow.now().timestamp() * 1000)
        return (millis << 12) | (self._state.score_version & 0xFFF)

    async def note(self, kind: str, text: str) -> None:
        record = NoteRecord(lead_id=self._lead.lead_id, at=workflow.now(), kind=kind, text=text)
        if self._run.batched:
            self._hold(LeadWrite(note=record))
            return
        await self.record(ReadModelActivities.record_note, record)

    # --- BATCHED: held writes, one flush per workflow task ---------------------------

    def _hold(self, write: LeadWrite) -> None:
        self._run.held.append(write)
        self._run.held_total += 1
        self._flush_when_settled()

    def _flush_when_settled(self) -> None:
        """Flush once everything this task can run has run (held writes count as in flight:
        continue-as-new and the ops stop wait for them)."""
        if self._run.settling:
            return
        self._run.settling = True
        self._run.busy += 1
        asyncio.create_task(self._settle_then_flush())  # noqa: RUF006 - ends with its flush

    async def _settle_then_flush(self) -> None:
        try:
            while True:
                held = self._run.held_total
                # A condition that is always true resolves only when no task of the
                # workflow is ready to run (the SDK checks conditions after its ready
                # queue drains), so this waits for the rest of the activation, and again
                # while the tasks it woke still hold new writes.
                await workflow.wait_condition(lambda: True)
                if self._run.held_total == held:
                    break
            await self.flush()
        finally:
            self._run.settling = False
            self._run.busy -= 1

    async def flush(self) -> None:
        """Write what is held now (and upsert the attributes as they are), before whatever
        reads the read model or leaves the run. A no-op for runs before BATCHED."""
        if not self._run.batched:
            return
        while True:
            if self._run.flushing:  # writes held meanwhile go in the next batch, after it
                await workflow.wait_condition(lambda: not self._run.flushing)
                continue
            self._upsert_changed()
            if not self._run.held:
                return
            batch, self._run.held = self._run.held, []
            self._run.flushing = True
            try:
                await self._execute(
                    ReadModelActivities.record_lead,
                    LeadWrites(lead_id=self._lead.lead_id, writes=batch),
                )
            finally:
                self._run.flushing = False

    def _upsert_changed(self) -> None:
        state = self._state
        new = lead_index.values(
            state.score.score, state.stage.value, self._lead.scenario, self._lead.profile.source
        )
        attributes = workflow.info().typed_search_attributes  # kept current by each upsert
        axes = self._axes()
        if (
            new == lead_index.indexed(attributes)
            and not lead_index.stale(attributes)
            and (axes is None or axes == lead_index.indexed_axes(attributes))
        ):
            return  # as set at the start, carried from the last run, or last upserted
        wanted = lead_index.updates(new, attributes)
        if axes is not None:
            wanted += lead_index.axes_updates(axes)
        workflow.upsert_search_attributes(wanted)

    def _axes(self) -> lead_index.Axes | None:
        """The two axes to show (FIT_AXES runs that know them), else None: leave them be."""
        state = self._state
        if not self._run.axes or state.fit_grade is None or state.engagement is None:
            return None
        return (state.fit_grade, state.engagement)

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Counts an activity (or child start) in flight: continue-as-new waits for none."""
        self._run.busy += 1
        try:
            yield
        finally:
            self._run.busy -= 1

    async def record(self, activity: Callable[[Any, R], None], record: R) -> None:
        """Write to the read model, after the writes held before it (BATCHED)."""
        await self.flush()
        await self._execute(activity, record)

    async def _execute(self, activity: Callable[[Any, R], None], record: R) -> None:
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
        if self._run.batched:
            self._flush_when_settled()  # the attributes go with the task's flush
            return
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
