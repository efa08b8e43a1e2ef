"""What a rep's one-click link does: the GET shows the lead and one button, the POST acts.

Every action goes through api.services.sales_actions.act, the API's own path, so a link
meets the same checks, refusals and idempotency as `POST /v1/handoffs/{id}/...`; its update
ID says `:link` (api.services.action_keys), so the history records who acted and how.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlmodel import Session

from api.auth import Actor, link_actor
from api.deps import AppState
from api.errors import Invalid, MovedOn
from api.schemas.handoffs import ActionIn, HandoffOut
from api.schemas.rep_links import LinkForm
from api.services.handoffs import owned_handoff
from api.services.sales_actions import act
from nurture import rep_links
from nurture.models import CLOSED_HANDOFF, HandoffStatus
from nurture.repo import handoffs as handoffs_repo
from nurture.repo import leads, reps
from nurture.rules import rep_words
from nurture.rules.sales_rules import (
    RESULT,
    TAKES_AMOUNT,
    TAKES_REASON,
    Action,
    reasons_for,
    refusal,
)
from nurture.rules.typed_amounts import plain_amount
from nurture.tables import Handoff, Rep
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
    language: str = ""  # the rep's (nurture.rules.rep_words); empty: NURTURE_DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Reader:
    """Who reads the page: the link's rep, in their language and time zone."""

    language: str
    zone: ZoneInfo

    @classmethod
    def of(cls, rep: Rep | None, default_language: str) -> Reader:
        return cls(
            rep_words.language_for(rep.language if rep else None, default_language),
            rep_words.zone_for(rep.timezone if rep else None, SLA.calendar.zone),
        )

    def time(self, at: datetime | None) -> str:
        return rep_words.local_time(at, self.zone, self.language) if at else "-"


def _summary(session: Session, handoff: Handoff, reader: Reader) -> Summary:
    lead = leads.get_lead(session, handoff.lead_id)
    return Summary(
        name=lead.name if lead else "",
        company=lead.company if lead else "",
        job_title=(lead.job_title or "-") if lead else "-",
        score=handoff.score,
        priority=handoff.priority,
        status=handoff.status,
        deadline=reader.time(handoff.deadline_at) if handoff.status == "pending" else "-",
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


def _not_moved_on(session: Session, handoff_id: str, actor: Actor, default: str) -> None:
    """The link was made for this rep and this handoff: if another rep has it now, it was
    moved on (reassigned), which the rep should read as such, not as "not yours"."""
    handoff = handoffs_repo.get(session, handoff_id)
    if handoff is None or actor.is_admin or handoff.rep_id in (None, actor.rep_id):
        return
    if actor.rep_id is None or not handoffs_repo.was_assigned(session, handoff_id, actor.rep_id):
        return  # never theirs: "not yours" it is
    rep = reps.get_rep(session, handoff.rep_id)
    language = rep_words.language_for(actor.rep.language if actor.rep else None, default)
    raise MovedOn("the handoff was given to another rep", rep.name if rep else "", language)


async def _open(
    state: AppState, token: str, now: datetime
) -> tuple[Actor, rep_links.LinkClaim, Handoff, Summary, Reader]:
    actor, claim = await link_actor(state, token, now)
    await state.db.run(_not_moved_on, claim.handoff_id, actor, state.settings.default_language)
    handoff = await state.db.run(owned_handoff, claim.handoff_id, actor)
    reader = Reader.of(actor.rep, state.settings.default_language)
    return actor, claim, handoff, await state.db.run(_summary, handoff, reader), reader


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
    reader: Reader,
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
        language=reader.language,
    )


async def show(state: AppState, token: str, now: datetime) -> LinkPage:
    """The page a link opens: never acts, whoever fetches it."""
    _, claim, handoff, summary, reader = await _open(state, token, now)
    if claim.action == rep_links.VIEW:
        return LinkPage("view", action=rep_links.VIEW, summary=summary, language=reader.language)
    action = _action(claim)
    blocked = _blocked(action, handoff)
    if blocked is not None:
        return _with(blocked, summary, action, reader)
    return _ready(state, token, action, summary, now, reader)


def _with(blocked: LinkPage, summary: Summary, action: Action, reader: Reader) -> LinkPage:
    return LinkPage(
        **{
            **blocked.__dict__,
            "summary": summary,
            "action": action.value,
            "language": reader.language,
        }
    )


def _body(action: Action, form: LinkForm) -> ActionIn:
    try:
        return ActionIn.model_validate(
            {
                "reason": form.reason or None if action in TAKES_REASON else None,
                "note": form.note,
                "amount": plain_amount(form.amount) or None if action in TAKES_AMOUNT else None,
            }
        )
    except ValidationError:
        raise Invalid("the amount must be a number, like 1200000") from None


async def use(state: AppState, token: str, form: LinkForm, nonce: str, now: datetime) -> LinkPage:
    """The POST from the link's page: acts once, through the API's service."""
    actor, claim, handoff, summary, reader = await _open(state, token, now)
    secret = state.settings.secret_key.get_secret_value()
    rep_links.check_confirm(secret, token, form.confirm, nonce, now)
    action = _action(claim)
    blocked = _blocked(action, handoff)
    if blocked is not None:
        return _with(blocked, summary, action, reader)
    try:
        out = await act(state, actor, action, handoff.id, _body(action, form), via="link")
    except Invalid as err:
        return _ready(state, token, action, summary, now, reader, problem=err.message, form=form)
    return _done(action, handoff, summary, out, reader)


def _done(
    action: Action, before: Handoff, shown: Summary, out: HandoffOut, reader: Reader
) -> LinkPage:
    """What happened, and what is next: "Acknowledged at 14:05 JST, 47 min before the
    deadline." in the rep's language and zone."""
    at = out.acknowledged_at
    values = {
        "reason": out.outcome_reason or "",
        "amount": f"{out.amount:,}" if out.amount is not None else "",
        "at": rep_words.local_clock(at, reader.zone) if at else "-",
    }
    if action == Action.ACK and out.acknowledged_at and before.deadline_at:
        left = before.deadline_at - out.acknowledged_at
        values["span"] = rep_words.span(left, reader.language)
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
        language=reader.language,
    )
