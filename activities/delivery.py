"""Handing one outbox mail to the relay so that it arrives once, or is shown as unknown.

The outbox row moves pending → sending (committed before DATA) → sent (right after the
relay's 250). A retry that finds `sending` cannot know whether the relay took the mail:
it waits for the earlier attempt to settle, and if it never does, marks the mail
`uncertain` instead of sending it again. After the 250 only the record is retried, never
the delivery. Relay and configuration failures hold the mail (retried with backoff for
`NURTURE_SMTP_HOLD_DAYS`); only a refused recipient bounces.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio.exceptions import ApplicationError

from nurture import mail
from nurture.db import session_scope
from nurture.models import NoteRecord
from nurture.repo import emails, leads
from nurture.settings import Settings
from nurture.smtp_errors import Verdict, classify

log = logging.getLogger(__name__)
SETTLE_MARGIN = timedelta(seconds=10)  # beyond the SMTP timeout, for the 250 to be recorded
RECORD_AFTER_ACCEPT_SECONDS = 60.0  # how long the record of a 250 is retried in the activity


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    UNCERTAIN = "uncertain"
    SENT_UNRECORDED = "sent_unrecorded"  # delivered; the workflow records it (retried longer)


@dataclass(frozen=True)
class Mail:
    """One outbox row ready to go: its key, which lead it belongs to and what it says."""

    outbox_key: str
    lead_id: uuid.UUID
    label: str  # what the timeline calls it: "whitepaper/thanks", "handoff notice"
    message: EmailMessage
    subject: str


class _Raced(Exception):
    """Another attempt took the row for DATA first."""


class OutboxDelivery:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        record_for_seconds: float = RECORD_AFTER_ACCEPT_SECONDS,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._record_for = record_for_seconds

    async def send(
        self, item: Mail, attempt_at: datetime | None = None, found: str | None = None
    ) -> Outcome:
        """Deliver `item` at most once. Raises ApplicationError: `RecipientRejected`
        (bounce), `SmtpHeld` (retry later), `SmtpGaveUp` (held for too long), `MailCancelled`
        (the lead was stopped meanwhile).

        `attempt_at` is when Temporal scheduled this attempt: the hold is measured on the
        engine's clock (the one a time-skipping test moves), not the worker's. `found` is the
        row's status as the caller just read it, so the first turn need not read it again.
        """
        at = attempt_at or _now()
        for _ in range(5):  # each turn follows a change another attempt made to the row
            status = found or await asyncio.to_thread(self._status, item.outbox_key)
            found = None
            if status == "sending":
                status = await self._settle(item)
            if status == "sent":
                return Outcome.ALREADY_SENT
            if status == "uncertain":
                return Outcome.UNCERTAIN
            if status == "failed":
                cause = await asyncio.to_thread(self._last_error, item.outbox_key)
                raise ApplicationError(cause or "given up", type="SmtpGaveUp", non_retryable=True)
            if status in ("skipped", "bounced"):
                raise ApplicationError(
                    f"{item.label} was not sent: {status}",
                    type="MailCancelled",
                    non_retryable=True,
                )
            if status in ("pending", "held"):
                outcome = await self._attempt(item, at)
                if outcome is not None:
                    return outcome
        raise ApplicationError("the outbox row keeps changing; retrying", type="SmtpHeld")

    async def _attempt(self, item: Mail, at: datetime) -> Outcome | None:
        """One delivery; None when another attempt took the row first (look again)."""
        in_data = asyncio.Event()
        task = asyncio.create_task(self._deliver(item, at, in_data))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            # Cancelled before DATA: nothing went, stop here. In DATA or after: the mail may
            # have gone, so this attempt finishes and records it (a retry waits for that).
            if not in_data.is_set():
                task.cancel()
            await asyncio.wait([task])
            raise

    async def _deliver(self, item: Mail, at: datetime, in_data: asyncio.Event) -> Outcome | None:
        recorded = True

        async def before_data() -> None:
            if not await asyncio.to_thread(self._claim, item.outbox_key):
                raise _Raced()
            in_data.set()

        async def accepted() -> None:
            nonlocal recorded
            recorded = await self._record_sent(item)

        try:
            await mail.deliver(
                self._settings, item.message, before_data=before_data, on_accepted=accepted
            )
        except _Raced:
            return None
        except mail.DeliveryFailed as failed:
            return await self._failed(item, failed, at, claimed=in_data.is_set())
        log.info("sent %s (%s)", item.outbox_key, item.message["Message-ID"])
        return Outcome.SENT if recorded else Outcome.SENT_UNRECORDED

    async def _record_sent(self, item: Mail) -> bool:
        """Record the 250, retrying a busy or locked database; never deliver again."""
        deadline = time.monotonic() + self._record_for
        delay = 0.2
        while True:
            try:
                before = await asyncio.to_thread(self._sent, item)
            except SQLAlchemyError as err:
                if time.monotonic() + delay > deadline:
                    log.error(
                        "%s: delivered, but recording it failed (%s); the workflow retries "
                        "the record",
                        item.outbox_key,
                        type(err).__name__,
                    )
                    return False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if before == "uncertain":  # an earlier attempt gave up on us: the truth arrived
                await asyncio.to_thread(
                    self._note, item, "sent", f"{item.label}: delivered after all (relay's 250)"
                )
            return True

    async def _settle(self, item: Mail) -> str:
        """An earlier attempt reached DATA and did not record its end: wait for it to settle
        the row; if it never does, call the mail uncertain rather than send it twice.
        Returns the row's status once it is not `sending`."""
        sending_at = await asyncio.to_thread(self._sending_at, item.outbox_key)
        wait = timedelta(seconds=self._settings.smtp_timeout_seconds) + SETTLE_MARGIN
        settle_at = (sending_at or _now()) + wait
        while _now() < settle_at:
            await asyncio.sleep(min(1.0, max((settle_at - _now()).total_seconds(), 0.01)))
            status = await asyncio.to_thread(self._status, item.outbox_key)
            if status != "sending":
                return status  # it ended: sent, or refused at DATA (pending/held), or ...
        cause = "the attempt that handed it to the relay stopped before the relay's answer"
        await asyncio.to_thread(self._uncertain, item, cause)
        return await asyncio.to_thread(self._status, item.outbox_key)

    async def _failed(
        self, item: Mail, failed: mail.DeliveryFailed, at: datetime, *, claimed: bool
    ) -> Outcome:
        verdict = classify(failed.error, failed.stage, mail.relay_of(self._settings))
        if verdict.verdict == Verdict.UNCERTAIN:
            await asyncio.to_thread(self._uncertain, item, verdict.cause)
            return Outcome.UNCERTAIN
        if verdict.verdict == Verdict.BOUNCE:
            raise ApplicationError(
                verdict.cause, type="RecipientRejected", non_retryable=True
            ) from None
        hold = verdict.verdict == Verdict.HOLD
        since, began = await asyncio.to_thread(self._held, item, verdict.cause, hold, at, claimed)
        limit = timedelta(days=self._settings.smtp_hold_days)
        if at - since >= limit:
            cause = f"given up after {_days(limit)} of retries: {verdict.cause}"
            await asyncio.to_thread(self._gave_up, item.outbox_key, cause, claimed)
            raise ApplicationError(cause, type="SmtpGaveUp", non_retryable=True) from None
        if began:
            if hold:
                log.error("mail held: %s (%s)", verdict.cause, item.outbox_key)
            what = "held" if hold else "delayed"
            await asyncio.to_thread(
                self._note,
                item,
                f"mail_{what}",
                f"{item.label} {what}: {verdict.cause}; retrying for up to {_days(limit)}",
            )
        raise ApplicationError(verdict.cause, type="SmtpHeld") from None

    # --- the outbox row -----------------------------------------------------------

    def _claim(self, key: str) -> bool:
        with session_scope(self._engine) as session:
            return emails.claim_sending(session, key, _now())

    def _last_error(self, key: str) -> str:
        with session_scope(self._engine) as session:
            return emails.last_error(session, key)

    def _sent(self, item: Mail) -> str:
        with session_scope(self._engine) as session:
            return emails.mark_sent(session, item.outbox_key, item.subject, _now())

    def _gave_up(self, key: str, cause: str, claimed: bool) -> None:
        with session_scope(self._engine) as session:
            emails.mark_failed(session, key, cause, claimed=claimed)

    def _status(self, key: str) -> str:
        with session_scope(self._engine) as session:
            return emails.status_of(session, key)

    def _sending_at(self, key: str) -> datetime | None:
        with session_scope(self._engine) as session:
            return emails.sending_at(session, key)

    def _uncertain(self, item: Mail, cause: str) -> None:
        with session_scope(self._engine) as session:
            if emails.mark_uncertain(session, item.outbox_key, cause):
                log.error("fate unknown, not re-sent: %s (%s)", item.outbox_key, cause)
                leads.record_note(session, _note(item, "mail_uncertain", _uncertain_text(item)))

    def _held(
        self, item: Mail, cause: str, hold: bool, at: datetime, claimed: bool
    ) -> tuple[datetime, bool]:
        with session_scope(self._engine) as session:
            return emails.mark_held(session, item.outbox_key, cause, at, hold=hold, claimed=claimed)

    def _note(self, item: Mail, kind: str, text: str) -> None:
        with session_scope(self._engine) as session:
            leads.record_note(session, _note(item, kind, text))


def _uncertain_text(item: Mail) -> str:
    return (
        f"{item.label}: fate unknown, not re-sent (the relay may have delivered it); its "
        f"Message-ID {item.message['Message-ID']} is in the relay's log if it went"
    )


def _note(item: Mail, kind: str, text: str) -> NoteRecord:
    return NoteRecord(lead_id=str(item.lead_id), at=_now(), kind=kind, text=text)


def _now() -> datetime:
    return datetime.now(UTC)


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:g} days" if days >= 1 else f"{span.total_seconds() / 3600:g} hours"
