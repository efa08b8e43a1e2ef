"""What the /sales pages show and do: a rep's queue, a lead page, history, the manager's team.

Reads come from the read model (nurture.repo.workspace); a rep's actions go through
api.services.sales_actions.act with via="workspace", the API's own path, so its checks,
refusals and idempotency are the API's; a manager's reassignment is the handoff workflow's
`reassign` update. Every domain word a rep reads (statuses, priorities, stages, events,
reasons, durations, times) comes from nurture.rules.rep_words, as the handoff mails and the
link pages say it; api.services.workspace_words holds only the pages' own chrome.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from api.auth import Actor
from api.deps import AppState
from api.errors import Forbidden, Invalid, NotFound
from api.schemas.handoffs import ActionIn
from api.schemas.workspace import WorkspaceForm
from api.services.sales_actions import act as sales_act
from api.services.workspace_auth import Viewer
from api.services.workspace_reassign import REASSIGNABLE, takes_leads
from api.services.workspace_words import say, words
from nurture.models import HandoffStatus
from nurture.repo import account_handoffs
from nurture.repo import handoffs as handoff_repo
from nurture.repo import leads as lead_repo
from nurture.repo import workspace as repo
from nurture.rules import rep_words
from nurture.rules.countdown import countdown
from nurture.rules.sales_rules import TAKES_AMOUNT, TAKES_REASON, Action, reasons_for, refusal
from nurture.rules.typed_amounts import plain_amount
from nurture.tables import Handoff, Lead, LeadEvent
from scenarios.scoring import MODEL
from scenarios.sla import SLA


def _at(who: Viewer, at: datetime | None, now: datetime | None = None) -> str:
    """A moment in the viewer's time zone and language, as the mails write it."""
    return rep_words.local_time(at, who.zone, who.language, now) if at else ""


def _left(who: Viewer, left: timedelta, overdue: bool) -> str:
    """The countdown in business hours and minutes (no days: they are working hours)."""
    t = words(who.language)
    span = rep_words.span(left, who.language, days=False)
    return say(t, "overdue_by" if overdue else "left", span=span)


def _own(who: Viewer, h: Handoff) -> bool:
    return who.rep is not None and h.rep_id == who.rep.id


def _activity(who: Viewer, event: LeadEvent | None, now: datetime) -> str:
    if event is None:
        return words(who.language)["none"]
    what = rep_words.timeline_text("event", {"type": event.type}, who.language, MODEL)
    return f"{what or event.type.replace('_', ' ')} · {_at(who, event.applied_at, now)}"


@dataclass(frozen=True)
class QueueItem:
    handoff_id: str
    name: str
    company: str
    rep: str
    status: str
    priority: str
    hot: bool
    score: int
    why: str
    axes: str  # "Fit B · Engagement 45": the score's two axes, in the viewer's language
    last_activity: str
    deadline: str = ""
    countdown: str = ""
    overdue: bool = False
    escalated: bool = False
    rep_id: str = ""  # the rep it is with, as the page shows it (the reassign form says it)
    reassign_to: tuple[tuple[str, str], ...] = ()  # (rep ID, name): a manager's choices
    order: tuple[int, float] = (1, 0.0)


def _items(
    session: Session, who: Viewer, rows: list[Handoff], now: datetime, team: bool
) -> list[QueueItem]:
    t = words(who.language)
    leads = repo.leads_by_id(session, [h.lead_id for h in rows])
    events = repo.last_events(session, [h.lead_id for h in rows])
    escalated = repo.escalated(session, [h.id for h in rows])
    names = {r.id: r.name for r in (*who.team, *([who.rep] if who.rep else []))}
    takers = [r for r in who.team if takes_leads(r, now)]  # active and not away
    items = []
    for h in rows:
        lead = leads.get(h.lead_id)
        running = h.status == HandoffStatus.PENDING.value and h.deadline_at is not None
        left, overdue, order = "", False, (1, h.created_at.timestamp())
        if running and h.deadline_at is not None:
            c = countdown(SLA.calendar, now, h.deadline_at)
            overdue = c.overdue
            left = _left(who, c.left, overdue)
            order = (0, h.deadline_at.timestamp())
        choices: tuple[tuple[str, str], ...] = ()
        if team and h.status in REASSIGNABLE:
            choices = tuple((str(r.id), r.name) for r in takers if r.id != h.rep_id)
        items.append(
            QueueItem(
                handoff_id=h.id,
                name=lead.name if lead else "",
                company=lead.company if lead else "",
                rep=names.get(h.rep_id, "") if h.rep_id else "",
                status=rep_words.handoff_status(h.status, who.language, own=_own(who, h)),
                priority=rep_words.priority_name(h.priority, who.language),
                hot=h.priority == "hot",
                score=h.score,
                why=rep_words.why(lead.score_breakdown, who.language, MODEL) if lead else "",
                axes=_axes(lead, who.language) if lead else "",
                last_activity=_activity(who, events.get(h.lead_id), now),
                deadline=_at(who, h.deadline_at, now) if running else "",
                countdown=left if running else t["clock_stopped"],
                overdue=overdue,
                escalated=h.id in escalated,
                rep_id=str(h.rep_id) if h.rep_id else "",
                reassign_to=choices,
                order=order,
            )
        )
    return sorted(items, key=lambda i: i.order)


def _queue(session: Session, who: Viewer, now: datetime) -> list[QueueItem]:
    if who.rep is None:
        return []
    rows = repo.handoffs_of(session, [who.rep.id], open_=True)
    return _items(session, who, rows, now, team=False)


def _team(session: Session, who: Viewer, now: datetime) -> list[QueueItem]:
    rows = repo.handoffs_of(session, [r.id for r in who.team], open_=True)
    return _items(session, who, rows, now, team=True)


async def queue(state: AppState, who: Viewer, now: datetime) -> list[QueueItem]:
    """The viewer's open handoffs: running deadlines first, soonest (most overdue) first."""
    return await state.db.run(_queue, who, now)


async def team_queue(state: AppState, who: Viewer, now: datetime) -> list[QueueItem]:
    """Every open handoff of the reps the viewer manages, ordered like a queue."""
    return await state.db.run(_team, who, now)


@dataclass(frozen=True)
class HistoryItem:
    handoff_id: str
    name: str
    company: str
    outcome: str
    closed_at: str


def _outcome(language: str, h: Handoff) -> str:
    text = rep_words.handoff_status(h.status, language)
    if h.amount is not None:
        text += f": {h.amount:,.0f}"
    if h.outcome_reason:
        text += f" ({rep_words.outcome_reason(h.outcome_reason, language)})"
    if h.outcome_note:
        text += f" · {h.outcome_note}"
    return text


def _history(session: Session, who: Viewer) -> list[HistoryItem]:
    if who.rep is None:
        return []
    rows = repo.handoffs_of(session, [who.rep.id], open_=False)
    leads = repo.leads_by_id(session, [h.lead_id for h in rows])
    items = []
    for h in rows:
        lead = leads.get(h.lead_id)
        items.append(
            HistoryItem(
                handoff_id=h.id,
                name=lead.name if lead else "",
                company=lead.company if lead else "",
                outcome=_outcome(who.language, h),
                closed_at=_at(who, h.closed_at),
            )
        )
    return items


async def history(state: AppState, who: Viewer) -> list[HistoryItem]:
    """The viewer's closed handoffs and how each ended, newest first."""
    return await state.db.run(_history, who)


# --- the lead page ----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    at: str
    text: str


@dataclass(frozen=True)
class ActionForm:
    action: str
    reasons: tuple[tuple[str, str], ...] = ()  # (the SLA's reason key, in words)
    amount: str = ""  # "", "optional" or "required"
    note: bool = True


@dataclass(frozen=True)
class LeadPage:
    handoff_id: str
    name: str
    profile: tuple[tuple[str, str], ...]
    status: str
    breakdown: tuple[tuple[str, int], ...]
    timeline: tuple[Line, ...]
    mails: tuple[Line, ...]
    actions: tuple[ActionForm, ...] = ()
    own: bool = True
    deadline: str = ""
    countdown: str = ""
    overdue: bool = False
    email: str = ""  # how the rep reaches the lead: a mailto link, and a phone if known
    phone: str = ""
    # An account handed over as a whole: the words for it, and its other engaged people.
    group_intro: str = ""
    group: tuple[dict[str, Any], ...] = ()


def _visible(session: Session, who: Viewer, handoff_id: str) -> tuple[Handoff, bool]:
    """The handoff and whether it is the viewer's own; a team's handoff is visible to its
    manager (to read), anything else is Forbidden."""
    h = handoff_repo.get(session, handoff_id)
    if h is None:
        raise NotFound("no such handoff")
    if who.rep is not None and h.rep_id == who.rep.id:
        return h, True
    if h.rep_id is not None and h.rep_id in {r.id for r in who.team}:
        return h, False
    raise Forbidden("this handoff is not assigned to you")


def _timeline(session: Session, who: Viewer, lead_id: uuid.UUID, now: datetime) -> list[Line]:
    """The lead's timeline as the rep reads it (nurture.rules.rep_words, as the mails say
    it); what is not for a rep (ops notes, failed deliveries) is left out."""
    lines = []
    for e in lead_repo.timeline(session, lead_id, {}):
        text = rep_words.timeline_text(e.kind, e.data, who.language, MODEL)
        if text is not None:
            lines.append(Line(_at(who, e.at, now), text))
    return lines


def _forms(h: Handoff, language: str) -> tuple[ActionForm, ...]:
    status = HandoffStatus(h.status)
    forms = []
    for action in Action:
        if refusal(action, status) is not None:
            continue
        amount = ""
        if action in TAKES_AMOUNT:
            amount = "required" if action == Action.WON else "optional"
        forms.append(
            ActionForm(
                action=action.value,
                reasons=tuple(
                    (r, rep_words.outcome_reason(r, language)) for r in reasons_for(action, SLA)
                )
                if action in TAKES_REASON
                else (),
                amount=amount,
                note=action != Action.ACK,
            )
        )
    return tuple(forms)


def _axes(lead: Lead, language: str) -> str:
    grade, engagement = rep_words.lead_axes(
        lead.fit_grade, lead.engagement, lead.score_breakdown, MODEL
    )
    return rep_words.axes(grade, engagement, language)


def _lead_page(session: Session, who: Viewer, handoff_id: str, now: datetime) -> LeadPage:
    t = words(who.language)
    h, own = _visible(session, who, handoff_id)
    lead = lead_repo.get_lead(session, h.lead_id)
    if lead is None:
        raise NotFound("no such lead")
    profile = (
        (t["company"], lead.company),
        (t["job_title"], lead.job_title),
        (t["industry"], lead.industry),
        (t["company_size"], f"{lead.company_size:,}" if lead.company_size else ""),
        (t["score"], f"{lead.score} · {_axes(lead, who.language)}"),
        (t["priority"], rep_words.priority_name(h.priority, who.language)),
    )
    breakdown = tuple(
        (str(line["label"]), int(line["points"]))
        for line in rep_words.breakdown_lines(lead.score_breakdown, who.language, MODEL)
    )
    mails = tuple(
        Line(_at(who, m.sent_at or m.scheduled_at, now), m.subject)
        for m in repo.marketing_mails(session, lead.id)
    )
    group = rep_words.group_lines(account_handoffs.group_of(session, h), MODEL)
    running = h.status == HandoffStatus.PENDING.value and h.deadline_at is not None
    left, overdue = "", False
    if running and h.deadline_at is not None:
        c = countdown(SLA.calendar, now, h.deadline_at)
        overdue = c.overdue
        left = _left(who, c.left, overdue)
    return LeadPage(
        handoff_id=h.id,
        name=lead.name,
        profile=tuple((k, v) for k, v in profile if v),
        status=rep_words.handoff_status(h.status, who.language, own=own),
        breakdown=breakdown,
        timeline=tuple(_timeline(session, who, lead.id, now)),
        mails=mails,
        actions=_forms(h, who.language) if own else (),
        own=own,
        deadline=_at(who, h.deadline_at, now) if running else "",
        countdown=left,
        overdue=overdue,
        email=lead.email,
        phone=str(lead.attributes.get("phone") or ""),
        group_intro=say(
            t, "group_intro", company=account_handoffs.account_name(session, lead), n=len(group) + 1
        )
        if group
        else "",
        group=tuple(group),
    )


async def lead_page(state: AppState, who: Viewer, handoff_id: str, now: datetime) -> LeadPage:
    return await state.db.run(_lead_page, who, handoff_id, now)


# --- acting -----------------------------------------------------------------------------


def _body(action: Action, form: WorkspaceForm) -> ActionIn:
    amount = plain_amount(form.amount) or None
    try:
        return ActionIn.model_validate(
            {
                "reason": (form.reason or None) if action in TAKES_REASON else None,
                "note": form.note if action != Action.ACK else "",
                "amount": amount if action in TAKES_AMOUNT else None,
            }
        )
    except ValidationError:
        raise Invalid("the amount must be a number, like 1200000") from None


async def act(
    state: AppState, who: Viewer, handoff_id: str, action_name: str, form: WorkspaceForm
) -> None:
    """A rep's action from the lead page, through the API's own path (via "workspace")."""
    try:
        action = Action(action_name)
    except ValueError:
        raise NotFound("no such action") from None
    if who.rep is None:
        raise Forbidden("only the handoff's rep can act on it")
    actor = Actor(rep=who.rep, is_admin=False)
    await sales_act(state, actor, action, handoff_id, _body(action, form), via="workspace")
