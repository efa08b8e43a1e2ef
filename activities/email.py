"""Sending nurture steps to leads and handoff notices to reps, once each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery import Mail, OutboxDelivery, Outcome
from nurture import mail, rep_links
from nurture.db import session_scope
from nurture.models import (
    NoRepNoticeInput,
    NoticeKind,
    NotifyRepInput,
    SendResult,
    SendStepInput,
    SlaEventKind,
)
from nurture.repo import account_handoffs, campaigns, emails, handoffs, leads, reps, tracking
from nurture.rules import content_links, rep_words
from nurture.settings import Settings
from nurture.smtp_errors import scrub
from nurture.tables import Handoff, Lead, Rep
from nurture.tracking import Tracker
from scenarios.scoring import MODEL
from scenarios.sla import SLA

log = logging.getLogger(__name__)
RECENT_ON_NOTICE = 8
LABELS = {rule.key: rule.label for rule in MODEL.attribute_rules}
NOTICE_TEMPLATES = {
    NoticeKind.ASSIGNED: "handoff/rep-notification",
    NoticeKind.REMINDER: "handoff/reminder",
    NoticeKind.MANAGER: "handoff/manager-escalation",
    NoticeKind.WITHDRAWN: "handoff/withdrawn",
    NoticeKind.REASSIGNED: "handoff/reassigned",
}


@dataclass(frozen=True)
class _Prepared:
    outbox_key: str
    lead_id: uuid.UUID
    message_id: str
    to: str
    status: str  # the outbox row's, as this attempt found it
    context: dict[str, Any]
    tracking_id: str = ""
    blocked: str | None = None  # why this mail must not go out (unsubscribed, bounced)
    language: str = "en"

    @property
    def already_sent(self) -> bool:
        return self.status == "sent"


def language_of(lead: Lead, default: str) -> str:
    """The lead's `language` attribute when it is one we write mail in, else the default."""
    wanted = str(lead.attributes.get("language", "")).lower()[:2]
    return wanted if wanted in mail.LANGUAGES else default


def _lead_context(lead: Lead) -> dict[str, Any]:
    return {
        "id": str(lead.id),
        "name": lead.name or "there",
        "email": lead.email,
        "company": lead.company or "your company",
        "job_title": lead.job_title,
        "industry": lead.industry,
        "company_size": lead.company_size,
        "source": lead.source,
        "scenario": lead.scenario,
        "attributes": lead.attributes,
    }


class EmailActivities:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._public = settings.public_url.rstrip("/")
        self._outbox = OutboxDelivery(engine, settings)

    @activity.defn
    async def send_step(self, input: SendStepInput) -> SendResult:
        """Render, track and send one scenario step, at most once per (lead, scenario, step)."""
        async with heartbeating():
            try:
                return await self._send_step(input)
            except ApplicationError as err:
                raise _without_frames(err) from None
            except (OSError, SQLAlchemyError) as err:
                raise _retry_later(err) from None
            except Exception as err:  # a bug: visible in the outbox, retried until fixed
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._note_bug, step_key(input), err)
                raise _retry_later(err) from None

    async def _send_step(self, input: SendStepInput) -> SendResult:
        key = step_key(input)
        prepared = await asyncio.to_thread(self._prepare_step, key, input)
        if prepared.blocked:
            return SendResult(message_id=prepared.message_id, skipped=prepared.blocked)
        if prepared.already_sent:
            return SendResult(message_id=prepared.message_id, already_sent=True)
        rendered = self._render(
            f"{input.scenario}/{input.step}", prepared.context, prepared.language
        )
        tracker = self._tracker(input.lead_id, prepared.tracking_id)
        tracked = mail.RenderedMail(
            subject=rendered.subject,
            text=tracker.text(rendered.text),
            html=tracker.html(rendered.html),
        )
        unsubscribe = tracker.unsubscribe_url()
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
        }
        label = f"{input.scenario}/{input.step}"
        try:
            outcome = await self._deliver(prepared, tracked, label, headers)
        except ApplicationError as err:
            if err.type == "RecipientRejected":
                await asyncio.to_thread(self._mark_bounced, input.lead_id, key)
            raise
        return _result(prepared, outcome, rendered.subject)

    def _mark_rep_bounced(self, key: str) -> None:
        with session_scope(self._engine) as session:
            if emails.find(session, key) is not None:
                emails.mark_skipped(session, key, "the rep's address was refused", "bounced")

    def _note_bug(self, key: str, err: Exception) -> None:
        """An unexpected error: the row says so (held), ops see it in `nurture outbox`."""
        log.error("send %s failed: %s", key, type(err).__name__, exc_info=err)
        with session_scope(self._engine) as session:
            if emails.find(session, key) is not None:
                cause = f"nurture could not prepare this mail ({type(err).__name__}; see the "
                emails.mark_held(session, key, cause + "worker log)", datetime.now(UTC))

    def _mark_bounced(self, lead_id: str, key: str) -> None:
        with session_scope(self._engine) as session:
            tracking.mark_bounced(session, uuid.UUID(lead_id), datetime.now(UTC))
            emails.mark_skipped(session, key, "bounced", status="bounced")

    @activity.defn
    async def notify_rep(self, input: NotifyRepInput) -> SendResult:
        """Tell a rep (or their manager): new lead, reminder, escalation, withdrawal."""
        async with heartbeating():
            try:
                return await self._notify_rep(input)
            except ApplicationError as err:
                if err.type == "RecipientRejected":  # the rep's address: never retried
                    await asyncio.to_thread(self._mark_rep_bounced, notice_key(input))
                raise _without_frames(err) from None
            except (OSError, SQLAlchemyError) as err:
                raise _retry_later(err) from None
            except Exception as err:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._note_bug, notice_key(input), err)
                raise _retry_later(err) from None

    async def _notify_rep(self, input: NotifyRepInput) -> SendResult:
        key = notice_key(input)
        prepared = await asyncio.to_thread(self._prepare_notice, key, input)
        if prepared.already_sent:
            return SendResult(message_id=prepared.message_id, already_sent=True)
        rendered = self._render(NOTICE_TEMPLATES[input.kind], prepared.context, prepared.language)
        outcome = await self._deliver(prepared, rendered, f"sales {input.kind.value} mail")
        return _result(prepared, outcome, rendered.subject)

    @activity.defn
    async def notify_no_rep(self, input: NoRepNoticeInput) -> SendResult:
        """Tell the sales admin (else the reps' managers) that a lead waits for a rep."""
        key = f"handoff:{input.handoff_id}:no-rep"
        async with heartbeating():
            try:
                prepared = await asyncio.to_thread(self._prepare_no_rep, key, input)
                if prepared is None:
                    return SendResult(message_id="")
                if prepared.already_sent:
                    return SendResult(message_id=prepared.message_id, already_sent=True)
                rendered = self._render("handoff/no-rep", prepared.context, prepared.language)
                # Several managers: each gets it without reading the others' addresses.
                several = "," in prepared.to
                headers = {"Bcc": prepared.to} if several else None
                if several:
                    prepared = replace(prepared, to="undisclosed-recipients:;")
                outcome = await self._deliver(
                    prepared, rendered, "sales no-rep mail", headers=headers
                )
                return _result(prepared, outcome, rendered.subject)
            except ApplicationError as err:
                raise _without_frames(err) from None
            except (OSError, SQLAlchemyError) as err:
                raise _retry_later(err) from None

    def _prepare_no_rep(self, key: str, input: NoRepNoticeInput) -> _Prepared | None:
        with session_scope(self._engine) as session:
            to = reps.admin_addresses(session, self._settings.sales_admin_email)
            if not to:
                log.warning("handoff %s waits for a rep; no admin or manager to tell", key)
                return None
            lead = self._lead(session, input.lead_id)
            row = emails.claim(
                session,
                outbox_key=key,
                lead_id=lead.id,
                kind="rep",
                message_id=mail.message_id_for(key, self._settings.mail_from),
                scheduled_at=input.at,
            )
            context = {
                "lead": _lead_context(lead),
                "score": lead.score,
                "since": _local(input.at, SLA.calendar.zone, self._settings.default_language),
                "public_url": self._settings.public_url.rstrip("/"),
            }
            language = self._settings.default_language
            return _Prepared(
                key, lead.id, row.message_id, ", ".join(to), row.status, context, language=language
            )

    # --- steps -----------------------------------------------------------------

    def _prepare_step(self, key: str, input: SendStepInput) -> _Prepared:
        with session_scope(self._engine) as session:
            lead = self._lead(session, input.lead_id)
            row = emails.claim(
                session,
                outbox_key=key,
                lead_id=lead.id,
                kind="nurture",
                scenario=input.scenario,
                step=input.step,
                message_id=mail.message_id_for(key, self._settings.mail_from),
                scheduled_at=input.scheduled_at,
            )
            blocked = "unsubscribed" if lead.unsubscribed_at else None
            blocked = "bounced" if lead.bounced_at else blocked
            unsent = row.status in ("pending", "held")  # sending/uncertain may have gone
            if blocked and unsent:
                emails.mark_skipped(session, key, blocked)
            questions = [
                str(properties["question"])
                for properties in leads.recent_properties(session, lead.id, "webinar_question")
                if properties.get("question")
            ]
            rep = reps.get_rep(session, lead.rep_id) if lead.rep_id else None
            language = language_of(lead, self._settings.default_language)
            # Content links go to the site, tagged; paper and webinar titles None when
            # neither the lead nor its campaign names one (the template's own words then).
            content = content_links.template_values(
                self._settings.content_base,
                content_links.utm_for(lead.source, input.scenario, input.step),
                lead.attributes,
                campaigns.asset_of(session, lead.source),
            )
            context = {
                "lead": _lead_context(lead),
                "rep": {"name": rep.name, "email": rep.email} if rep else None,
                **content,
                "questions": questions,
                "unsubscribe_url": self._tracker(str(lead.id), row.tracking_id).unsubscribe_url(),
            }
            return _Prepared(
                key,
                lead.id,
                row.message_id,
                lead.email,
                row.status,
                context,
                tracking_id=row.tracking_id,
                blocked=blocked if unsent else None,
                language=language,
            )

    def _prepare_notice(self, key: str, input: NotifyRepInput) -> _Prepared:
        with session_scope(self._engine) as session:
            handoff = handoffs.get(session, input.handoff_id)
            rep = reps.get_rep(session, uuid.UUID(input.rep_id))
            if handoff is None or rep is None:
                raise ApplicationError(
                    f"handoff {input.handoff_id} or its rep is not in the database",
                    type="LeadNotFound",
                )
            to: str = rep.email
            reader: Rep | None = rep
            if input.kind == NoticeKind.MANAGER:
                if not rep.manager_email:
                    raise ApplicationError("the rep has no manager", type="RecipientRejected")
                # The manager reads their own rep row's language and zone, if they are a rep.
                to = rep.manager_email
                reader = reps.rep_by_email(session, rep.manager_email)
            lead = self._lead(session, str(handoff.lead_id))
            row = emails.claim(
                session,
                outbox_key=key,
                lead_id=lead.id,
                kind="rep",
                rep_id=rep.id,
                message_id=mail.message_id_for(key, self._settings.mail_from),
                scheduled_at=input.at,
            )
            language, zone = self._reader_locale(reader)
            # An account handed over as a whole: its other engaged people (else none).
            group = account_handoffs.group_of(session, handoff)
            context = {
                "lead": _lead_context(lead),
                "rep": {"name": rep.name, "email": rep.email},
                **_handoff_words(handoff, language),
                "deadline": _local(input.deadline, zone, language),
                "why": rep_words.why(lead.score_breakdown, language, MODEL),
                "axes": rep_words.axes(
                    *rep_words.lead_axes(
                        lead.fit_grade, lead.engagement, lead.score_breakdown, MODEL
                    ),
                    language,
                ),
                "breakdown": rep_words.breakdown_lines(lead.score_breakdown, language, MODEL),
                "group": rep_words.group_lines(group, MODEL),
                "account_name": account_handoffs.account_name(session, lead) if group else "",
                "recent": rep_words.recent_activity(
                    leads.timeline(session, lead.id, LABELS),
                    zone,
                    language,
                    MODEL,
                    RECENT_ON_NOTICE,
                    now=input.at,
                ),
                "new_rep": _current_rep_name(session, handoff, rep),
                "manager_note": _manager_note(session, handoff.id, input),
                "handoff_id": handoff.id,
                "handoff_url": f"{self._public}/v1/handoffs/{handoff.id}",
                **self._links(handoff.id, str(rep.id), zone, language),
                "public_url": self._public,
            }
            return _Prepared(
                key, lead.id, row.message_id, to, row.status, context, language=language
            )

    def _reader_locale(self, reader: Rep | None) -> tuple[str, ZoneInfo]:
        """The language and zone of who reads a notice: theirs, else the defaults
        (NURTURE_DEFAULT_LANGUAGE and the SLA calendar's zone)."""
        language = rep_words.language_for(
            reader.language if reader else None, self._settings.default_language
        )
        zone = rep_words.zone_for(reader.timezone if reader else None, SLA.calendar.zone)
        return language, zone

    def _links(self, handoff_id: str, rep_id: str, zone: ZoneInfo, language: str) -> dict[str, Any]:
        """The rep's one-click links (nurture.rep_links), one per action and one to the lead.

        Minted when the mail is rendered, so they expire NURTURE_ACTION_LINK_HOURS later.
        """
        now = datetime.now(UTC)
        expires = now + timedelta(hours=self._settings.action_link_hours)
        secret = self._settings.secret_key.get_secret_value()
        links = rep_links.action_links(secret, self._public, handoff_id, rep_id, expires)
        return {"links": links, "links_expire": rep_words.local_time(expires, zone, language, now)}

    # --- shared ----------------------------------------------------------------

    def _lead(self, session: Any, lead_id: str) -> Lead:
        lead = leads.get_lead(session, uuid.UUID(lead_id))
        if lead is None:
            raise ApplicationError(
                f"lead {lead_id} is not in the database", type="LeadNotFound", non_retryable=True
            )
        return lead

    def _render(
        self, name: str, context: dict[str, Any], language: str = "en"
    ) -> mail.RenderedMail:
        try:
            return mail.render(name, context, language)
        except mail.TemplateMissing as err:
            raise ApplicationError(str(err), type="TemplateNotFound", non_retryable=True) from err
        except mail.TemplateBroken as err:  # a template bug: retrying will not fix it
            raise ApplicationError(
                scrub(str(err)), type="TemplateError", non_retryable=True
            ) from None

    async def _deliver(
        self,
        prepared: _Prepared,
        rendered: mail.RenderedMail,
        label: str,
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        msg = mail.build_message(
            settings=self._settings,
            to=prepared.to,
            rendered=rendered,
            message_id=prepared.message_id,
            headers=headers,
        )
        item = Mail(prepared.outbox_key, prepared.lead_id, label, msg, rendered.subject)
        attempt_at = activity.info().current_attempt_scheduled_time
        return await self._outbox.send(item, attempt_at, found=prepared.status)

    def _tracker(self, lead_id: str, tracking_id: str) -> Tracker:
        secret = self._settings.secret_key.get_secret_value()
        return Tracker(base_url=self._public, secret=secret, lead_id=lead_id, message=tracking_id)


def step_key(input: SendStepInput) -> str:
    """The outbox key of one scenario step's mail: one row per (lead, run, step)."""
    key = f"step:{input.lead_id}:{input.scenario}#{input.enrolment}:{input.step}"
    if input.occurrence > 1:  # a step sent again in a loop (the monthly newsletter)
        key += f"#{input.occurrence}"
    return key


def notice_key(input: NotifyRepInput) -> str:
    return f"handoff:{input.handoff_id}:{input.attempt}:{input.kind.value}"


def _retry_later(err: BaseException) -> ApplicationError:
    """An error of ours or of the database: retried (a deploy or a restart fixes it)."""
    return ApplicationError(f"{type(err).__name__} while sending; retrying", type="SendError")


def _without_frames(err: ApplicationError) -> ApplicationError:
    """The failure without its frames: the server keeps a retrying activity's last failure
    only while it is small, else shows "Failure exceeds size limit." instead of the cause."""
    return err.with_traceback(None)


def _result(prepared: _Prepared, outcome: Outcome, subject: str) -> SendResult:
    return SendResult(
        subject=subject,
        message_id=prepared.message_id,
        already_sent=outcome == Outcome.ALREADY_SENT,
        uncertain=outcome == Outcome.UNCERTAIN,
        unrecorded=outcome == Outcome.SENT_UNRECORDED,
        outbox_key=prepared.outbox_key,
    )


@asynccontextmanager
async def heartbeating(every: float = 2.0) -> AsyncIterator[None]:
    """Heartbeat while a send runs, so a dead worker's send is retried within seconds."""

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()


def _local(at: datetime | None, zone: ZoneInfo, language: str) -> str:
    """A deadline as the rep reads it: in their zone, with its abbreviation."""
    return rep_words.local_time(at, zone, language) if at else "-"


def _manager_note(session: Any, handoff_id: str, input: NotifyRepInput) -> str:
    """The note a manager left when moving the handoff, for both reps' mails about it."""
    moved_to = input.kind == NoticeKind.ASSIGNED and input.attempt > 1
    if not (moved_to or input.kind == NoticeKind.REASSIGNED):
        return ""
    moves = [
        e
        for e in handoffs.events(session, handoff_id)
        if e.event == SlaEventKind.REASSIGNED and e.detail.startswith("reassigned by")
    ]
    return moves[-1].note if moves else ""


def _handoff_words(handoff: Handoff, language: str) -> dict[str, Any]:
    """The handoff's reason and priority in the reader's words (the stored technical
    reason stays in the read model, for ops)."""
    within = next(
        (p.acknowledge_within for p in SLA.priorities if p.name == handoff.priority), None
    )
    day = SLA.calendar.day_length
    return {
        "score": handoff.score,
        "reason": rep_words.assignment_reason(handoff.reason, language),
        "priority": rep_words.priority_name(handoff.priority, language),
        "allowance": rep_words.business_span(within, day, language) if within else "",
        "priority_text": rep_words.priority_text(handoff.priority, within, day, language)
        if within
        else rep_words.priority_name(handoff.priority, language),
    }


def _current_rep_name(session: Any, handoff: Handoff, rep: Rep) -> str:
    """Who has the handoff now (for the previous rep's "reassigned" mail); "-" when it is
    still this rep's or nobody's."""
    if handoff.rep_id is None or handoff.rep_id == rep.id:
        return "-"
    current = reps.get_rep(session, handoff.rep_id)
    return current.name if current else "-"
