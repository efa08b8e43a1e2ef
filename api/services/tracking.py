"""The links inside marketing mail: open pixel, click redirect, one-click unsubscribe.

Human opens and clicks become behaviour events through the same path as webhooks
(api.services.events.deliver); machine hits are recorded and go no further. A tampered or
unknown token is a 404. A prospect's click must redirect whatever happens behind it, so
an event the engine cannot take now is parked, not an error.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session
from temporalio.service import RPCError

from api.deps import AppState
from api.errors import NotFound
from api.services.events import Behaviour, deliver
from nurture import tokens, traffic
from nurture.models import EventType
from nurture.orchestration import lead_runs
from nurture.repo import leads as lead_repo
from nurture.repo import tracking as repo
from nurture.settings import Settings
from nurture.tables import Lead, TrackingHit
from nurture.tracking import CLICK, OPEN, UNSUBSCRIBE

log = logging.getLogger(__name__)
UNKNOWN = "unknown link"


@dataclass(frozen=True)
class Link:
    """What a signed token says: whose mail, which message, where to (for a click)."""

    lead_id: uuid.UUID
    message: str
    url: str = ""
    honeypot: bool = False  # a link no person sees: whoever follows it is a machine


def read_link(settings: Settings, purpose: str, token: str) -> Link:
    try:
        payload = tokens.read(settings.secret_key.get_secret_value(), purpose, token)
        lead_id = uuid.UUID(str(payload["l"]))
    except (tokens.BadToken, KeyError, ValueError):
        raise NotFound(UNKNOWN) from None
    return Link(
        lead_id=lead_id,
        message=str(payload.get("m", "")),
        url=str(payload.get("u", "")),
        honeypot=bool(payload.get("h")),
    )


def _event_id(kind: str, *parts: str) -> str:
    return f"{kind}:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


async def click(state: AppState, token: str, agent: str) -> str:
    """The URL the token signs; a person's click is an `email_click` event."""
    link = read_link(state.settings, CLICK, token)
    if not link.url.startswith(("https://", "http://")):
        raise NotFound(UNKNOWN)
    lead = await _hit(state, link, "click", agent)
    if lead is not None:
        event = Behaviour(
            lead,
            _event_id("click", link.message, link.url),
            EventType.EMAIL_CLICK,
            properties={"url": link.url, "message": link.message},
        )
        await deliver(state, [event], park_if_unreachable=True)
    return link.url


async def opened(state: AppState, token: str, agent: str) -> None:
    """A person's open is an `email_open` event (for the open rate)."""
    link = read_link(state.settings, OPEN, token)
    lead = await _hit(state, link, "open", agent)
    if lead is not None:
        event = Behaviour(
            lead,
            _event_id("open", link.message),
            EventType.EMAIL_OPEN,
            properties={"message": link.message},
        )
        await deliver(state, [event], park_if_unreachable=True)


async def _hit(state: AppState, link: Link, kind: str, agent: str) -> Lead | None:
    """Record the hit; the lead when it was a person (so it should score), else None."""
    lead, reason = await state.db.run(_record_hit, link, kind, agent, datetime.now(UTC))
    if lead is None:
        raise NotFound(UNKNOWN)
    return lead if reason is None else None


def _record_hit(
    session: Session, link: Link, kind: str, agent: str, now: datetime
) -> tuple[Lead | None, str | None]:
    lead = lead_repo.get_lead(session, link.lead_id)
    if lead is None:
        return None, "unknown lead"
    since = repo.seconds_since_delivery(session, link.message, now)
    reason = traffic.machine_reason(agent, since, honeypot=link.honeypot)
    repo.record_hit(
        session,
        TrackingHit(
            lead_id=link.lead_id,
            tracking_id=link.message,
            kind=kind,
            url=link.url or None,
            at=now,
            machine=reason is not None,
            reason=reason,
            user_agent=agent[:300],
        ),
    )
    return lead, reason


def check_unsubscribe(settings: Settings, token: str) -> None:
    """Refuse (404) a token that is no unsubscribe link."""
    read_link(settings, UNSUBSCRIBE, token)


async def unsubscribe(state: AppState, token: str) -> None:
    """Unsubscribe the lead: the database flag stops every send at once; the signal then
    ends the scenario (a halted lead sends nothing; resumed, it starts unsubscribed)."""
    link = read_link(state.settings, UNSUBSCRIBE, token)
    lead = await state.db.run(_mark_unsubscribed, link, datetime.now(UTC))
    if lead is None:
        raise NotFound(UNKNOWN)
    try:
        if not lead.halted:
            await lead_runs.signal_unsubscribe(state.client, state.settings, lead)
    except RPCError as err:  # the flag stands; the worker's next send sees it
        log.warning("unsubscribe of lead %s not signalled yet: %s", link.lead_id, err.status)
    except lead_runs.LeadHalted:
        pass


def _mark_unsubscribed(session: Session, link: Link, now: datetime) -> Lead | None:
    first = lead_repo.get_lead(session, link.lead_id)
    was = first.unsubscribed_at if first else None
    if not repo.mark_unsubscribed(session, link.lead_id, now):
        return None
    if was is None:
        repo.record_hit(
            session,
            TrackingHit(lead_id=link.lead_id, tracking_id=link.message, kind="unsubscribe", at=now),
        )
    return lead_repo.get_lead(session, link.lead_id)
