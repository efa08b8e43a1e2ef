"""Open pixel, click redirect and one-click unsubscribe: the links inside marketing mail.

Human opens and clicks become behaviour events through the same path as webhooks;
machine hits are recorded and go no further. A tampered or unknown token is a 404.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api import event_delivery
from api.deps import StateDep
from api.errors import NotFound
from api.responses import errors
from nurture import tokens, traffic
from nurture.db import session_scope
from nurture.models import BehaviourEvent, EventType
from nurture.orchestration import lead_runs
from nurture.repo import leads as lead_repo
from nurture.repo import tracking as repo
from nurture.tables import Lead, TrackingHit
from nurture.tracking import CLICK, OPEN, UNSUBSCRIBE

router = APIRouter(tags=["tracking"], include_in_schema=True)
log = logging.getLogger(__name__)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private"}
REDIRECT_TO = {"schema": {"type": "string", "format": "uri"}, "description": "the target URL"}


def _payload(state: StateDep, purpose: str, token: str) -> dict[str, object]:
    try:
        payload = tokens.read(state.settings.secret_key.get_secret_value(), purpose, token)
        uuid.UUID(str(payload["l"]))
    except (tokens.BadToken, KeyError, ValueError):
        raise NotFound("unknown link") from None
    return payload


async def _hit(
    state: StateDep, request: Request, payload: dict[str, object], kind: str, url: str | None
) -> Lead | None:
    """Record the hit; the lead when it was a person (so it should score), else None."""
    lead_id, message = uuid.UUID(str(payload["l"])), str(payload.get("m", ""))
    agent = request.headers.get("User-Agent", "")
    now = datetime.now(UTC)

    def record() -> tuple[Lead | None, str | None]:
        with session_scope(state.engine) as session:
            lead = lead_repo.get_lead(session, lead_id)
            if lead is None:
                return None, "unknown lead"
            since = repo.seconds_since_delivery(session, message, now)
            reason = traffic.machine_reason(agent, since, honeypot=bool(payload.get("h")))
            repo.record_hit(
                session,
                TrackingHit(
                    lead_id=lead_id,
                    tracking_id=message,
                    kind=kind,
                    url=url,
                    at=now,
                    machine=reason is not None,
                    reason=reason,
                    user_agent=agent[:300],
                ),
            )
            return lead, reason

    lead, reason = await run_in_threadpool(record)
    if lead is None:
        raise NotFound("unknown link")
    return lead if reason is None else None


def _event_id(kind: str, *parts: str) -> str:
    return f"{kind}:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


UNKNOWN_LINK = errors(422, e404="unknown, tampered or expired link")


@router.get(
    "/t/c/{token}",
    response_class=RedirectResponse,
    status_code=302,
    responses={
        302: {"description": "to the link's target", "headers": {"Location": REDIRECT_TO}},
        **UNKNOWN_LINK,
    },
)
async def click(token: str, request: Request, state: StateDep) -> Response:
    """Redirect to the URL the token signs; a person's click is an `email_click` event."""
    payload = _payload(state, CLICK, token)
    url = str(payload.get("u", ""))
    if not url.startswith(("https://", "http://")):
        raise NotFound("unknown link")
    lead = await _hit(state, request, payload, "click", url)
    if lead is not None:
        event = BehaviourEvent(
            event_id=_event_id("click", str(payload.get("m")), url),
            type=EventType.EMAIL_CLICK.value,
            occurred_at=datetime.now(UTC),
            properties={"url": url, "message": payload.get("m")},
        )
        await event_delivery.deliver(state, [(lead, event)], park_if_unreachable=True)
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


@router.get(
    "/t/o/{token}",
    response_class=Response,
    responses={200: {"description": "a 1x1 GIF", "content": {"image/gif": {}}}, **UNKNOWN_LINK},
)
async def open_pixel(token: str, request: Request, state: StateDep) -> Response:
    """A 1x1 GIF; a person's open is an `email_open` event (for the open rate)."""
    payload = _payload(state, OPEN, token)
    lead = await _hit(state, request, payload, "open", None)
    if lead is not None:
        event = BehaviourEvent(
            event_id=_event_id("open", str(payload.get("m"))),
            type=EventType.EMAIL_OPEN.value,
            occurred_at=datetime.now(UTC),
            properties={"message": payload.get("m")},
        )
        await event_delivery.deliver(state, [(lead, event)], park_if_unreachable=True)
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 480px; margin: 64px auto; color: #1f2933;">
{body}</body></html>"""


@router.get("/u/{token}", response_class=HTMLResponse, responses=UNKNOWN_LINK)
async def unsubscribe_page(token: str, state: StateDep) -> HTMLResponse:
    """Confirmation page: unsubscribing takes a deliberate POST (link scanners only GET)."""
    _payload(state, UNSUBSCRIBE, token)
    body = (
        "<h1>Unsubscribe</h1><p>Stop receiving our marketing emails?</p>"
        f'<form method="post" action="/u/{html.escape(token)}">'
        '<button type="submit" style="font-size: 1rem; padding: 8px 16px;">Unsubscribe</button>'
        "</form>"
    )
    return HTMLResponse(PAGE.format(title="Unsubscribe", body=body), headers=NO_STORE)


@router.post("/u/{token}", response_class=HTMLResponse, responses=UNKNOWN_LINK)
async def unsubscribe(token: str, state: StateDep) -> HTMLResponse:
    """Unsubscribe (the form, or RFC 8058 one-click `List-Unsubscribe=One-Click`)."""
    payload = _payload(state, UNSUBSCRIBE, token)
    lead_id = uuid.UUID(str(payload["l"]))
    now = datetime.now(UTC)

    def mark() -> Lead | None:
        with session_scope(state.engine) as session:
            first = lead_repo.get_lead(session, lead_id)
            was = first.unsubscribed_at if first else None
            if not repo.mark_unsubscribed(session, lead_id, now):
                return None
            if was is None:
                repo.record_hit(
                    session,
                    TrackingHit(
                        lead_id=lead_id,
                        tracking_id=str(payload.get("m", "")),
                        kind="unsubscribe",
                        at=now,
                    ),
                )
            return lead_repo.get_lead(session, lead_id)

    lead = await run_in_threadpool(mark)
    if lead is None:
        raise NotFound("unknown link")
    try:  # the database flag already stops every send; this ends the scenario at once
        if not lead.halted:
            await lead_runs.signal_unsubscribe(state.client, state.settings, lead)
    except RPCError as err:
        log.warning("unsubscribe of lead %s not signalled yet: %s", lead_id, err.status)
    except lead_runs.LeadHalted:
        pass  # a halted lead sends nothing; resumed, it starts from the unsubscribed record
    body = "<h1>You are unsubscribed</h1><p>You will receive no more marketing emails from us.</p>"
    return HTMLResponse(PAGE.format(title="Unsubscribed", body=body), headers=NO_STORE)
