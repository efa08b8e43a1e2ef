"""How the lead workflow sends its scenario's mail: in working hours, under the cap, once.

A mixin of LeadWorkflow, kept apart so the workflow module stays readable.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.email import EmailActivities, step_key
    from activities.read_model import ReadModelActivities
    from nurture.authoring.runtime import ScenarioStopped
    from nurture.models import SendFailedRecord, SendStepInput, SentRecord, Stage
    from nurture.rules.business_time import BusinessCalendar
    from scenarios.email_policy import FREQUENCY_CAP, SEND_WINDOW
    from workflows import policies
    from workflows.lead_records import LeadRecords

NURTURE_STAGES = (Stage.NEW, Stage.NURTURING, Stage.RECYCLED)


class LeadMail(LeadRecords):
    enrolment: int
    _windowed: bool
    _mail_stopped: bool
    _qualified: bool
    _marketing_sends: list[datetime]
    _deferred_note: str

    _stopping: str | None

    @property
    def stopped(self) -> bool:
        return (
            self._qualified
            or self._mail_stopped
            or self._stopping is not None
            or self._stage not in NURTURE_STAGES
        )

    @property
    def _leaving(self) -> bool:
        """The running scenario is being left for another (LeadScenarios knows when)."""
        return False

    def calendar(self) -> BusinessCalendar:
        """The lead's working calendar: its time zone, and that country's holidays."""
        return SEND_WINDOW.calendar(self.profile.timezone)

    def show_waiting(self, what: str) -> None:
        """What the lead waits for, as the Temporal UI shows it (no personal data)."""
        workflow.set_current_details(f"{self.scenario}/{self._step or '-'}: {what}")

    async def send_step(self, step: str, occurrence: int = 1) -> None:
        await self._await_send_slot(step)
        now = workflow.now()
        self._step = step
        await self._record_step(now)
        if self.stopped or self._leaving:
            raise ScenarioStopped()
        try:
            request = SendStepInput(
                lead_id=self.lead_id,
                scenario=self.scenario,
                step=step,
                enrolment=self.enrolment,
                occurrence=occurrence,
                scheduled_at=now,
            )
            with self._in_flight():
                result = await workflow.execute_activity_method(
                    EmailActivities.send_step,
                    request,
                    start_to_close_timeout=policies.SEND_TIMEOUT,
                    heartbeat_timeout=policies.SEND_HEARTBEAT,
                    retry_policy=policies.SEND_RETRY,
                )
        except ActivityError as err:
            # No SMTP error ends the lead's life: a bounce stops its mail, the rest is noted.
            cause = getattr(err.cause, "type", None) or type(err.cause).__name__
            workflow.logger.warning("send of step %s failed: %s", step, cause)
            if cause == "RecipientRejected":
                await self._stop_mail(Stage.BOUNCED, f"{self.scenario}/{step} bounced")
                return
            why = getattr(err.cause, "message", None) or cause
            if cause in ("SmtpHeld", "SendError"):  # out of attempts (scheduled by older code)
                await self._record(
                    ReadModelActivities.record_send_failed,
                    SendFailedRecord(outbox_key=step_key(request), cause=f"given up: {why}"),
                )
            await self._note("send_failed", f"{self.scenario}/{step} not sent: {why}")
            return
        if result.unrecorded:
            await self._record(
                ReadModelActivities.record_sent,
                SentRecord(outbox_key=result.outbox_key, at=now, subject=result.subject),
            )
        if result.skipped:
            stage = Stage.BOUNCED if result.skipped == "bounced" else Stage.UNSUBSCRIBED
            await self._stop_mail(stage, f"{self.scenario}/{step} not sent: {result.skipped}")
        else:  # sent now or by an earlier attempt: either way it reached the lead
            self._marketing_sends = [*self._marketing_sends, now][-FREQUENCY_CAP.max_mails :]

    async def _await_send_slot(self, step: str) -> None:
        """Defer the send into the lead's working hours and under the frequency cap."""
        while True:
            now = workflow.now()
            window = SEND_WINDOW.next_slot(now, self.profile.timezone) if self._windowed else now
            capped = FREQUENCY_CAP.free_at(self._marketing_sends, now)
            when = max(window, capped)
            if when <= now:
                return
            why = (
                "outside the lead's business hours"
                if window >= capped
                else f"frequency cap ({FREQUENCY_CAP.max_mails} in {FREQUENCY_CAP.per.days} days)"
            )
            local = when.astimezone(self.calendar().zone)
            note = f"{self.scenario}/{step} deferred to {local:%Y-%m-%d %H:%M %Z}: {why}"
            if note != self._deferred_note:  # a run resumed after continue-as-new says it once
                self._deferred_note = note
                await self._note("deferred", note)
            self.show_waiting(f"{step} deferred to {when:%Y-%m-%d %H:%M} UTC: {why}")
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self.stopped or self._leaving, timeout=when - now
                )
            if self.stopped or self._leaving:
                raise ScenarioStopped()

    async def _stop_mail(self, stage: Stage, reason: str) -> None:
        """Unsubscribed or bounced: no marketing mail ever again; the stage says why."""
        if self._mail_stopped:
            return
        self._mail_stopped = True
        if self._stage in (*NURTURE_STAGES, Stage.MQL) and not self._qualified:
            await self._set_stage(stage, reason)
        else:
            await self._note(stage.value, reason)  # in sales' hands: the stage stays theirs
