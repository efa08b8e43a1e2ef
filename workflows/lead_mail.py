"""How the lead workflow sends its scenario's mail: in working hours, under the cap, once."""

from __future__ import annotations

import contextlib

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
    from workflows.lead_state import NURTURE_STAGES, LeadInput, LeadState, ThisRun


# Patch: a deferred step that will not go out says so on the timeline (2026-12-01).
DEFERRED_NOT_SENT = "deferred-step-not-sent-note"


class LeadMail:
    """Sends the scenario's steps to the lead, and stops its marketing mail for good."""

    __slots__ = ("_lead", "_records", "_run", "_state")

    def __init__(
        self, lead: LeadInput, state: LeadState, this_run: ThisRun, *, records: LeadRecords
    ) -> None:
        self._lead = lead
        self._state = state
        self._run = this_run
        self._records = records

    @property
    def stopped(self) -> bool:
        """No more marketing mail now: qualified, unsubscribed or bounced, stopping, with sales."""
        return (
            self._state.qualified
            or self._state.mail_stopped
            or self._run.stopping is not None
            or self._state.stage not in NURTURE_STAGES
        )

    def calendar(self) -> BusinessCalendar:
        """The lead's working calendar: its time zone, and that country's holidays."""
        return SEND_WINDOW.calendar(self._lead.profile.timezone)

    def show_waiting(self, what: str) -> None:
        """What the lead waits for, as the Temporal UI shows it (no personal data)."""
        workflow.set_current_details(f"{self._lead.scenario}/{self._state.step or '-'}: {what}")

    async def send_step(self, step: str, occurrence: int = 1) -> None:
        state = self._state
        await self._await_send_slot(step)
        now = workflow.now()
        state.step = step
        await self._records.record_step(now)
        await self._records.flush()  # the send reads the read model: it goes out after it
        if self.stopped or state.switching:
            raise ScenarioStopped()
        try:
            request = SendStepInput(
                lead_id=self._lead.lead_id,
                scenario=self._lead.scenario,
                step=step,
                enrolment=state.enrolment,
                occurrence=occurrence,
                scheduled_at=now,
            )
            with self._records.in_flight():
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
                await self.stop_mail(Stage.BOUNCED, f"{self._lead.scenario}/{step} bounced")
                return
            why = getattr(err.cause, "message", None) or cause
            if cause in ("SmtpHeld", "SendError"):  # out of attempts (scheduled by older code)
                await self._records.record(
                    ReadModelActivities.record_send_failed,
                    SendFailedRecord(outbox_key=step_key(request), cause=f"given up: {why}"),
                )
            await self._records.note("send_failed", f"{self._lead.scenario}/{step} not sent: {why}")
            return
        if result.unrecorded:
            await self._records.record(
                ReadModelActivities.record_sent,
                SentRecord(outbox_key=result.outbox_key, at=now, subject=result.subject),
            )
        if result.skipped:
            stage = Stage.BOUNCED if result.skipped == "bounced" else Stage.UNSUBSCRIBED
            await self.stop_mail(stage, f"{self._lead.scenario}/{step} not sent: {result.skipped}")
        else:  # sent now or by an earlier attempt: either way it reached the lead
            state.marketing_sends = [*state.marketing_sends, now][-FREQUENCY_CAP.max_mails :]

    async def _await_send_slot(self, step: str) -> None:
        """Defer the send into the lead's working hours and under the frequency cap."""
        state = self._state
        while True:
            now = workflow.now()
            timezone = self._lead.profile.timezone
            window = SEND_WINDOW.next_slot(now, timezone) if self._lead.send_window else now
            capped = FREQUENCY_CAP.free_at(state.marketing_sends, now)
            when = max(window, capped)
            if when <= now:
                return
            why = (
                "outside the lead's business hours"
                if window >= capped
                else f"frequency cap ({FREQUENCY_CAP.max_mails} in {FREQUENCY_CAP.per.days} days)"
            )
            local = when.astimezone(self.calendar().zone)
            note = f"{self._lead.scenario}/{step} deferred to {local:%Y-%m-%d %H:%M %Z}: {why}"
            if note != state.deferred_note:  # a run resumed after continue-as-new says it once
                state.deferred_note = note
                await self._records.note("deferred", note)
            self.show_waiting(f"{step} deferred to {when:%Y-%m-%d %H:%M} UTC: {why}")
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self.stopped or state.switching, timeout=when - now
                )
            if self.stopped or state.switching:
                await self._say_not_sent(step)
                raise ScenarioStopped()

    async def _say_not_sent(self, step: str) -> None:
        """A deferred step the lead will not get: the timeline said "deferred to Monday 9:00",
        so it says this too, rather than leave the mail looking on its way. (Ops stops and
        unsubscribes have their own notes.)"""
        state = self._state
        if state.qualified:
            why = "the lead qualified and went to sales first"
        elif state.switching:
            why = "the lead moved to another scenario"
        else:
            return
        if self._run.batched or workflow.patched(DEFERRED_NOT_SENT):
            await self._records.note("deferred", f"{self._lead.scenario}/{step} not sent: {why}")

    async def stop_mail(self, stage: Stage, reason: str) -> None:
        """Unsubscribed or bounced: no marketing mail ever again; the stage says why."""
        state = self._state
        if state.mail_stopped:
            return
        state.mail_stopped = True
        if state.stage in (*NURTURE_STAGES, Stage.MQL) and not state.qualified:
            await self._records.set_stage(stage, reason)
        else:
            await self._records.note(stage.value, reason)  # in sales' hands: the stage stays theirs
