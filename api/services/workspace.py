"""What the /sales pages show and do: a rep's queue, a lead page, history, the manager's team.

Reads come from the read model (nurture.repo.workspace); a rep's actions go through
api.services.sales_actions.act with via="workspace", the API's own path, so its checks,
refusals and idempotency are the API's; a manager's reassignment is the handoff workflow's
`reassign` update, asked by name. Every value a rep reads is put in words here.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlmodel import Session
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.auth import Actor
from api.deps import AppState
from api.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable, temporal_errors
from api.schemas.handoffs import ActionIn
from api.schemas.workspace import WorkspaceForm
from api.services.sales_actions import act as sales_act
from api.services.workspace_auth import Viewer
from api.services.workspace_words import say, words
from nurture.models import (
    HANDOFF_STATE_QUERY,
    REASSIGN_UPDATE,
    HandoffState,
    HandoffStatus,
    ReassignRequest,
)
from nurture.repo import handoffs as handoff_repo
from nurture.repo import leads as lead_repo
from nurture.repo import workspace as repo
from nurture.rules import rep_words
from nurture.rules.countdown import countdown, span
from nurture.rules.sales_rules import TAKES_AMOUNT, TAKES_REASON, Action, reasons_for, refusal
from nurture.tables import Handoff, Lead, LeadEvent, Rep
from scenarios.scoring import MODEL
from scenarios.sla import SLA

REASSIGNABLE = {HandoffStatus.PENDING.value, HandoffStatus.ACCEPTED.value}


def when(at: datetime | None, zone: ZoneInfo) -> str:
    """A moment as the viewer reads it, in their time zone."""
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if at else ""


def _why(t: dict[str, str], lead: Lead | None, limit: int = 3) -> str:
    """The lead's strongest score items, in words: "Decision maker, Viewed the pricing page"."""
    if lead is None:
        return ""
    top = sorted(
        ((k, p) for k, p in lead.score_breakdown.items() if p > 0), key=lambda kv: (-kv[1], kv[0])
    )
    return ", ".join(_rule_words(t, key) for key, _ in top[:limit])


def _rule_words(t: dict[str, str], key: str) -> str:
    return say(t, f"rule_{key}") or say(t, f"event_{key}") or MODEL.label(key)


def _activity(t: dict[str, str], event: LeadEvent | None, zone: ZoneInfo) -> str:
    if event is None:
        return t["none"]
    return f"{say(t, f'event_{event.type}', event.type)} · {when(event.applied_at, zone)}"


@dataclass(frozen=True)
class QueueItem:
    handoff_id: str
    name: str
    company: str
    rep: str
    status: str
    priority: str
    score: int
    why: str
    last_activity: str
    deadline: str = ""
    countdown: str = ""
    overdue: bool = False
    escalated: bool = False
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
    active = [r for r in who.team if r.active]
    items = []
    for h in rows:
        lead = leads.get(h.lead_id)
        running = h.status == HandoffStatus.PENDING.value and h.deadline_at is not None
        left, overdue, order = "", False, (1, h.created_at.timestamp())
        if running and h.deadline_at is not None:
            c = countdown(SLA.calendar, now, h.deadline_at)
            overdue = c.overdue
            left = say(t, "overdue_by" if overdue else "left", span=span(c.left, t["lang"]))
            order = (0, h.deadline_at.timestamp())
        choices: tuple[tuple[str, str], ...] = ()
        if team and h.status in REASSIGNABLE:
            choices = tuple((str(r.id), r.name) for r in active if r.id != h.rep_id)
        items.append(
            QueueItem(
                handoff_id=h.id,
                name=lead.name if lead else "",
                company=lead.company if lead else "",
                rep=names.get(h.rep_id, "") if h.rep_id else "",
                status=say(t, f"status_{h.status}", h.status),
                priority=say(t, f"priority_{h.priority}", h.priority),
                score=h.score,
                why=_why(t, lead),
                last_activity=_activity(t, events.get(h.lead_id), who.zone),
                deadline=when(h.deadline_at, who.zone) if running else "",
                countdown=left if running else t["clock_stopped"],
                overdue=overdue,
                escalated=h.id in escalated,
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


def _outcome(t: dict[str, str], h: Handoff) -> str:
    text = say(t, f"status_{h.status}", h.status)
    if h.amount is not None:
        text += f": {h.amount:,.0f}"
    if h.outcome_reason:
        text += f" ({h.outcome_reason})"
    if h.outcome_note:
        text += f" · {h.outcome_note}"
    return text


def _history(session: Session, who: Viewer) -> list[HistoryItem]:
    if who.rep is None:
        return []
    t = words(who.language)
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
                outcome=_outcome(t, h),
                closed_at=when(h.closed_at, who.zone),
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
    reasons: tuple[str, ...] = ()
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


def _timeline(session: Session, language: str, lead_id: uuid.UUID, zone: ZoneInfo) -> list[Line]:
    """The lead's timeline as the rep reads it (nurture.rules.rep_words, as the mails say
    it); what is not for a rep (ops notes, failed deliveries) is left out."""
    lines = []
    for e in lead_repo.timeline(session, lead_id, {}):
        text = rep_words.timeline_text(e.kind, e.data, language, MODEL)
        if text is not None:
            lines.append(Line(when(e.at, zone), text))
    return lines


def _forms(h: Handoff) -> tuple[ActionForm, ...]:
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
                reasons=reasons_for(action, SLA) if action in TAKES_REASON else (),
                amount=amount,
                note=action != Action.ACK,
            )
        )
    return tuple(forms)


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
        (t["score"], str(lead.score)),
        (t["priority"], say(t, f"priority_{h.priority}", h.priority)),
    )
    breakdown = tuple(
        (_rule_words(t, key), points)
        for key, points in sorted(lead.score_breakdown.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    mails = tuple(
        Line(when(m.sent_at or m.scheduled_at, who.zone), m.subject)
        for m in repo.marketing_mails(session, lead.id)
    )
    running = h.status == HandoffStatus.PENDING.value and h.deadline_at is not None
    left, overdue = "", False
    if running and h.deadline_at is not None:
        c = countdown(SLA.calendar, now, h.deadline_at)
        overdue = c.overdue
        left = say(t, "overdue_by" if overdue else "left", span=span(c.left, t["lang"]))
    return LeadPage(
        handoff_id=h.id,
        name=lead.name,
        profile=tuple((k, v) for k, v in profile if v),
        status=say(t, f"status_{h.status}", h.status),
        breakdown=breakdown,
        timeline=tuple(_timeline(session, t["lang"], lead.id, who.zone)),
        mails=mails,
        actions=_forms(h) if own else (),
        own=own,
        deadline=when(h.deadline_at, who.zone) if running else "",
        countdown=left,
        overdue=overdue,
    )


async def lead_page(state: AppState, who: Viewer, handoff_id: str, now: datetime) -> LeadPage:
    return await state.db.run(_lead_page, who, handoff_id, now)


# --- acting -----------------------------------------------------------------------------


def _body(action: Action, form: WorkspaceForm) -> ActionIn:
    amount = form.amount.replace(",", "").strip() or None
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


# --- a manager reassigns ------------------------------------------------------------------


def _reassignable(session: Session, who: Viewer, handoff_id: str, to_rep_id: str) -> Handoff:
    h = handoff_repo.get(session, handoff_id)
    if h is None:
        raise NotFound("no such handoff")
    team = {r.id: r for r in who.team}
    if h.rep_id not in team:
        raise Forbidden("this handoff's rep is not in your team")
    try:
        target: Rep | None = team.get(uuid.UUID(to_rep_id))
    except ValueError:
        target = None
    if target is None or not target.active:
        raise Invalid("choose an active rep of your team")
    if target.id == h.rep_id:
        raise Invalid("the handoff is with that rep already")
    if h.status not in REASSIGNABLE:
        raise Conflict("only a handoff waiting for acknowledgement or acknowledged can move")
    return h


def reassign_update_id(handoff: Handoff, to_rep_id: str, by: str, note: str) -> str:
    """One ID per reassignment asked: the same form sent twice moves the handoff once."""
    digest = hashlib.sha256(f"{by}\n{note}".encode()).hexdigest()[:16]
    return f"{handoff.id}:reassign:{handoff.reassignments}:{handoff.rep_id}:{to_rep_id}:{digest}"


async def reassign(
    state: AppState, who: Viewer, handoff_id: str, to_rep_id: str, note: str
) -> HandoffState:
    """A manager moves a handoff of their team to another active rep of it."""
    handoff = await state.db.run(_reassignable, who, handoff_id, to_rep_id)
    request = ReassignRequest(to_rep_id=to_rep_id, by=who.label, note=note)
    handle = state.client.get_workflow_handle(handoff_id)
    wait = timedelta(seconds=state.settings.intake_wait_seconds)
    closed = Conflict("the handoff is closed; it cannot move")
    no_worker = Unavailable("no worker answered; nothing was changed: try again")
    with temporal_errors(gone=closed, no_answer=no_worker):
        await handle.query(HANDOFF_STATE_QUERY, rpc_timeout=wait)
    unconfirmed = Unavailable("the worker did not confirm in time; it may still move: try again")
    try:
        with temporal_errors(gone=closed, no_answer=unconfirmed):
            state_after: HandoffState = await handle.execute_update(
                REASSIGN_UPDATE,
                request,
                result_type=HandoffState,
                id=reassign_update_id(handoff, to_rep_id, who.label, note),
                rpc_timeout=wait,
            )
            return state_after
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in ("SameRep", "RepUnavailable"):
            raise Invalid(cause.message) from None
        raise
