"""What a rep's one-click link does: the GET shows the lead and one button, the POST acts.

Every action goes through api.services.sales_actions.act, the API's own path, so a link
meets the same checks, refusals and idempotency as `POST /v1/handoffs/{id}/...`; its update
ID says `:link` (api.services.action_keys), so the history records who acted and how.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlmodel import Session

from api.auth import Actor, link_actor
from api.deps import AppState
from api.errors import Invalid
from api.schemas.handoffs import ActionIn, HandoffOut
from api.schemas.rep_links import LinkForm
from api.services.handoffs import owned_handoff
from api.services.sales_actions import act
from nurture import rep_links
from nurture.models import CLOSED_HANDOFF, HandoffStatus
from nurture.repo import leads
from nurture.rules.sales_rules import (
    RESULT,
    TAKES_AMOUNT,
    TAKES_REASON,
    Action,
    reasons_for,
    refusal,
)
from nurture.tables import Handoff
from scenarios.sla import SLA


@dataclass(frozen=True)
class Summary:
    """The lead as the page shows it: enough to decide, nothing the mail did not say."""

    name: str
    company: str
    job_title: str
    score: int
    priority: str
    status: str
    deadline: str


@dataclass(frozen=True)
class LinkPage:
    """One page to render: `kind` is ready (a form), done, view or refused."""

    kind: str
    status_code: int = 200
    action: str = ""
    summary: Summary | None = None
    reasons: tuple[str, ...] = ()
    confirm: str = ""
    nonce: str = ""
    title: str = ""  # a key of the words (api.services.rep_link_words)
    text: str = ""  # a key of the words, formatted with `values`
    values: dict[str, str] = field(default_factory=dict)
    detail: str = ""  # the API's own message, when there is one
    form: LinkForm | None = None


def local(at: datetime | None) -> str:
    """A time as the rep reads it: in the SLA calendar's zone (JST for the shipped SLA)."""
    if at is None:
        return "-"
    return at.astimezone(SLA.calendar.zone).strftime("%Y-%m-%d %H:%M %Z")


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _summary(session: Session, handoff: Handoff) -> Summary:
    lead = leads.get_lead(session, handoff.lead_id)
    return Summary(
        name=lead.name if lead else "",
        company=lead.company if lead else "",
        job_title=(lead.job_title or "-") if lead else "-",
        score=handoff.score,
        priority=handoff.priority,
        status=handoff.status,
        deadline=local(handoff.deadline_at) if handoff.status == "pending" else "-",
    )


def _blocked(action: Action, handoff: Handoff) -> LinkPage | None:
    """Why this link cannot act on the handoff as it is now; None when it can."""
    status = HandoffStatus(handoff.status)
    done = status == RESULT[action] or (action == Action.ACK and handoff.acknowledged_at)
    if done:
        return LinkPage("refused", 409, title="used", text="used_text", values={"status": status})
    if status in CLOSED_HANDOFF:
        return LinkPage(
            "refused", 409, title="closed", text="closed_text", values={"status": status}
        )
    why = refusal(action, status)  # out of order (won before acknowledging)
    return None if why is None else LinkPage("refused", 409, title="conflict", detail=why)


async def _open(
    state: AppState, token: str, now: datetime
) -> tuple[Actor, rep_links.LinkClaim, Handoff, Summary]:
    actor, claim = await link_actor(state, token, now)
    handoff = await state.db.run(owned_handoff, claim.handoff_id, actor)
    return actor, claim, handoff, await state.db.run(_summary, handoff)


def _action(claim: rep_links.LinkClaim) -> Action:
    try:
        return Action(claim.action)
    except ValueError:
        raise rep_links.LinkRefused("invalid") from None


def _ready(
    state: AppState,
    token: str,
    action: Action,
    summary: Summary,
    now: datetime,
    problem: str = "",
    form: LinkForm | None = None,
) -> LinkPage:
    """The page with the form: a fresh nonce (for the cookie) and the confirm value bound to it;
    after a refused form, the problem (422) and what the rep typed."""
    nonce = secrets.token_urlsafe(18)
    secret = state.settings.secret_key.get_secret_value()
    return LinkPage(
        "ready",
        action=action.value,
        summary=summary,
        reasons=reasons_for(action, SLA),
        confirm=rep_links.make_confirm(secret, token, nonce, now),
        nonce=nonce,
        status_code=422 if problem else 200,
        detail=problem,
        form=form,
    )


async def show(state: AppState, token: str, now: datetime) -> LinkPage:
    """The page a link opens: never acts, whoever fetches it."""
    _, claim, handoff, summary = await _open(state, token, now)
    if claim.action == rep_links.VIEW:
        return LinkPage("view", action=rep_links.VIEW, summary=summary)
    action = _action(claim)
    blocked = _blocked(action, handoff)
    if blocked is not None:
        return LinkPage(**{**blocked.__dict__, "summary": summary, "action": action.value})
    return _ready(state, token, action, summary, now)


def _body(action: Action, form: LinkForm) -> ActionIn:
    try:
        return ActionIn.model_validate(
            {
                "reason": form.reason or None if action in TAKES_REASON else None,
                "note": form.note,
                "amount": form.amount.replace(",", "").strip() or None
                if action in TAKES_AMOUNT
                else None,
            }
        )
    except ValidationError:
        raise Invalid("the amount must be a number, like 1200000") from None


async def use(state: AppState, token: str, form: LinkForm, nonce: str, now: datetime) -> LinkPage:
    """The POST from the link's page: acts once, through the API's service."""
    actor, claim, handoff, summary = await _open(state, token, now)
    secret = state.settings.secret_key.get_secret_value()
    rep_links.check_confirm(secret, token, form.confirm, nonce, now)
    action = _action(claim)
    blocked = _blocked(action, handoff)
    if blocked is not None:
        return LinkPage(**{**blocked.__dict__, "summary": summary, "action": action.value})
    try:
        out = await act(state, actor, action, handoff.id, _body(action, form), via="link")
    except Invalid as err:
        return _ready(state, token, action, summary, now, problem=err.message, form=form)
    return _done(action, handoff, summary, out)


def _done(action: Action, before: Handoff, shown: Summary, out: HandoffOut) -> LinkPage:
    """What happened, and what is next."""
    values = {
        "reason": out.outcome_reason or "",
        "amount": f"{out.amount:,}" if out.amount is not None else "",
        "at": local(out.acknowledged_at),
    }
    if action == Action.ACK and out.acknowledged_at and before.deadline_at:
        left = before.deadline_at - out.acknowledged_at
        values["span"] = _span(left)
        values["when"] = "before" if left.total_seconds() >= 0 else "after"
    nxt = {Action.ACK: "next_ack", Action.OPPORTUNITY: "next_opportunity"}
    summary = Summary(**{**shown.__dict__, "status": out.status, "deadline": "-"})
    return LinkPage(
        "done",
        action=action.value,
        summary=summary,
        title=f"done_{action.value}",
        text=nxt.get(action, "next_closed"),
        values=values,
    )
