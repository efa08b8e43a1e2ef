"""Posting handoff notices to Slack: an incoming-webhook message in Block Kit, retried.

The worker injects the one `httpx.AsyncClient` its outbound POSTs share (and closes it when
it stops). Failures are typed `ApplicationError`s: Slack refusing the message (a 4xx other
than 408 and 429: a wrong or revoked URL, an archived channel) will refuse it again, so it
is not retried, and the message says what Slack answered; Slack busy (429), down (5xx) or
unreachable is retried by the workflow's policy. The webhook URL is the credential: no
message carries it.
"""

from __future__ import annotations

import asyncio
import uuid
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.sales_webhook import RETRYABLE_4XX, described
from nurture import chat_blocks
from nurture.db import session_scope
from nurture.models import NoticeKind, NotifyRepInput
from nurture.repo import account_handoffs, handoffs, leads, reps
from nurture.rules import rep_words
from nurture.settings import Settings
from scenarios.scoring import MODEL
from scenarios.sla import SLA

ANSWER_MAX = 120  # characters of Slack's answer kept in the error


class ChatFailure(StrEnum):
    """The `ApplicationError.type` of each way a Slack post can fail."""

    REJECTED = "ChatRejected"  # a 4xx but 408/429: not retried
    FAILED = "ChatFailed"  # 5xx, 408, 429, a redirect: retried
    UNREACHABLE = "ChatUnreachable"  # no answer: refused, reset, timed out; retried
    MISCONFIGURED = "ChatMisconfigured"  # the URL cannot be used at all: not retried
    NOT_FOUND = "ChatHandoffNotFound"  # nothing to say: the records are gone; not retried


class ChatActivities:
    def __init__(self, engine: Engine, settings: Settings, http: httpx.AsyncClient) -> None:
        self._engine = engine
        self._settings = settings
        self._http = http

    @activity.defn
    async def post_chat(self, notice: NotifyRepInput) -> None:
        """Post the notice to NURTURE_SLACK_WEBHOOK_URL, if one is set.

        Raises:
            ApplicationError: typed by `ChatFailure`; `REJECTED` and `MISCONFIGURED` are
                non-retryable.
        """
        url = self._settings.slack_webhook_url
        if url is None:
            return
        body = await asyncio.to_thread(self._message, notice)
        try:
            response = await self._http.post(url.get_secret_value(), json=body)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as err:
            raise ApplicationError(
                f"NURTURE_SLACK_WEBHOOK_URL cannot be used: {type(err).__name__}",
                type=ChatFailure.MISCONFIGURED,
                non_retryable=True,
            ) from None
        except httpx.TransportError as err:
            raise ApplicationError(
                f"Slack unreachable: {described(err)}", type=ChatFailure.UNREACHABLE
            ) from None
        _check(response)

    def _message(self, notice: NotifyRepInput) -> dict[str, Any]:
        with session_scope(self._engine) as session:
            handoff = handoffs.get(session, notice.handoff_id)
            rep = reps.get_rep(session, uuid.UUID(notice.rep_id))
            lead = leads.get_lead(session, handoff.lead_id) if handoff else None
            if handoff is None or rep is None or lead is None:
                raise ApplicationError(
                    f"handoff {notice.handoff_id}, its lead or its rep is not in the database",
                    type=ChatFailure.NOT_FOUND,
                    non_retryable=True,
                )
            # The workspace's lead page, not the rep's signed links: anyone in the channel
            # can press a button, and only the handoff's rep, signed in, can act there.
            lead_url = f"{self._settings.public_url.rstrip('/')}/sales/handoffs/{handoff.id}"
            # The rep's words, as in their mail: the notice is addressed to them.
            language = rep_words.language_for(rep.language, self._settings.default_language)
            group = account_handoffs.group_of(session, handoff)
            chat = chat_blocks.ChatNotice(
                kind=notice.kind,
                rep_name=rep.name,
                lead_name=lead.name or "",
                company=lead.company or "",
                score=handoff.score,
                priority=handoff.priority,
                deadline=notice.deadline,
                zone=rep_words.zone_for(rep.timezone, SLA.calendar.zone),
                lead_url=lead_url,
                why=rep_words.why(lead.score_breakdown, language, MODEL),
                reassigned=notice.kind == NoticeKind.ASSIGNED and notice.attempt > 1,
                language=language,
                group=tuple(p.name or "-" for p in group),
                account=account_handoffs.account_name(session, lead) if group else "",
            )
        return chat_blocks.message(chat)


def _check(response: httpx.Response) -> None:
    """Accept a 2xx; raise the typed failure, with Slack's answer, for any other."""
    status = response.status_code
    if 200 <= status < 300:
        return
    said = " ".join(response.text.split())[:ANSWER_MAX]
    answer = f"{status} {response.reason_phrase}".strip() + (f" ({said})" if said else "")
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        raise ApplicationError(
            f"Slack refused the message: {answer}; not retried: check "
            "NURTURE_SLACK_WEBHOOK_URL (a revoked webhook or an archived channel)",
            type=ChatFailure.REJECTED,
            non_retryable=True,
        )
    raise ApplicationError(f"Slack answered {answer}", type=ChatFailure.FAILED)
