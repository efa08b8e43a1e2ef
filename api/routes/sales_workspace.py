"""The /sales workspace for sales reps and their managers, as server-rendered pages.

Sign-in by a one-time emailed link (api.services.workspace_auth), then: my queue, a lead page
with its actions, history, and a manager's team queue with reassignment
(api.services.workspace). Every answer is a readable page, refusals included; every POST of
a signed-in page carries the session's CSRF value.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import AppState, StateDep
from api.errors import DomainError, Invalid
from api.parsing import read_body
from api.routes.rep_links import HEADERS
from api.schemas.workspace import WorkspaceForm
from api.services import workspace as service
from api.services import workspace_auth as auth
from api.services import workspace_reassign as reassigning
from api.services.workspace_auth import COOKIE, Viewer
from api.services.workspace_words import words
from nurture import rep_links
from nurture.workspace_tokens import SignInRefused

router = APIRouter(tags=["sales workspace"], include_in_schema=False)
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=True,
)
LINK_COOKIE = "nurture_sign_in"
LINK_REFUSED = {"invalid": 404, "expired": 410, "used": 410, "stale_page": 403}
TITLES = {"forbidden", "not_found", "conflict", "invalid", "unavailable"}


def _now() -> datetime:
    return datetime.now(UTC)


def _render(
    state: AppState, template: str, who: Viewer | None, status: int = 200, **values: Any
) -> HTMLResponse:
    t = words(who.language if who else values.pop("language", state.settings.default_language))
    values.pop("language", None)
    headers = dict(HEADERS)
    nonce = ""
    if values.get("refresh"):  # the queue's countdowns: its one script, allowed by nonce
        nonce = secrets.token_urlsafe(12)
        headers["Content-Security-Policy"] += f"; script-src 'nonce-{nonce}'"
    html = _templates.get_template(f"sales/{template}").render(
        t=t,
        who=who,
        csrf=auth.csrf(state, who) if who else "",
        minutes=f"{state.settings.sign_in_link_minutes:g}",
        script_nonce=nonce,
        **values,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def _refused(state: AppState, who: Viewer | None, err: DomainError) -> HTMLResponse:
    title = err.code if err.code in TITLES else "bad_request"
    return _render(state, "message.html.j2", who, err.status_code, title=title, detail=err.message)


async def _form(request: Request) -> WorkspaceForm:
    raw = parse_qs((await read_body(request)).decode("utf-8", "replace"))
    try:
        return WorkspaceForm.model_validate({k: v[0] for k, v in raw.items() if v})
    except ValidationError:
        raise Invalid("a field of the form is too long") from None


async def _who(request: Request, state: AppState) -> Viewer | None:
    return await auth.viewer(state, request.cookies.get(COOKIE), _now())


def _sign_in_page(
    state: AppState, status: int, title: str = "sign_in", next_path: str = ""
) -> HTMLResponse:
    """The sign-in form; `next_path` (a /sales page) is where the emailed link will lead."""
    next_path = auth.safe_next(next_path) or ""
    return _render(state, "sign_in.html.j2", None, status, step="ask", title=title, next=next_path)


def _need_sign_in(state: AppState, next_path: str) -> HTMLResponse:
    return _sign_in_page(state, 401, "need_sign_in", next_path)


def _stale_form(state: AppState, who: Viewer) -> HTMLResponse:
    return _render(state, "message.html.j2", who, 403, title="stale_form", text="stale_form_text")


# --- signing in and out -----------------------------------------------------------------


@router.get("/sales", response_model=None)
async def home(request: Request, state: StateDep) -> Response:
    """My queue when signed in; else the sign-in page."""
    who = await _who(request, state)
    if who is None:
        return _sign_in_page(state, 200)
    if who.rep is None:  # a manager who is no rep: their page is the team's
        return RedirectResponse("/sales/team", 303, headers=HEADERS)
    items = await service.queue(state, who, _now())
    return _render(state, "queue.html.j2", who, items=items, page="queue", refresh=True)


@router.post("/sales/sign-in", response_class=HTMLResponse)
async def ask_for_link(
    request: Request, state: StateDep, background: BackgroundTasks
) -> HTMLResponse:
    """Mail a sign-in link; the same answer whoever the address belongs to."""
    try:
        form = await _form(request)
    except DomainError as err:
        return _refused(state, None, err)
    email = form.email.strip()
    next_path = auth.safe_next(form.next) or ""
    if "@" not in email:
        return _render(
            state,
            "sign_in.html.j2",
            None,
            422,
            step="ask",
            title="sign_in",
            bad=True,
            next=next_path,
        )
    background.add_task(auth.ask_for_link, state, email, _now(), next_path or None)
    return _render(state, "sign_in.html.j2", None, step="sent", title="link_sent", email=email)


def _link_refused(state: AppState, kind: str, language: str) -> HTMLResponse:
    title = "stale_page" if kind == "stale_page" else f"link_{kind}"
    return _render(
        state,
        "sign_in.html.j2",
        None,
        LINK_REFUSED.get(kind, 400),
        step="refused",
        title=title,
        text=f"{title}_text",
        language=language,
    )


@router.get("/sales/sign-in/{token}", response_class=HTMLResponse)
async def link_page(token: str, state: StateDep) -> HTMLResponse:
    """The emailed link's page: a button. Opening it signs nobody in (mail scanners)."""
    now = _now()
    language = await auth.link_language(state, token, now)
    try:
        await auth.check_link(state, token, now)
    except SignInRefused as err:
        return _link_refused(state, err.kind, language)
    nonce = secrets.token_urlsafe(18)
    confirm = rep_links.make_confirm(
        state.settings.secret_key.get_secret_value(), token, nonce, now
    )
    response = _render(
        state,
        "sign_in.html.j2",
        None,
        step="confirm",
        title="link_page",
        token=token,
        confirm=confirm,
        language=language,
    )
    response.set_cookie(
        LINK_COOKIE,
        nonce,
        max_age=rep_links.CONFIRM_MINUTES * 60,
        path="/sales/sign-in/",
        httponly=True,
        samesite="strict",
        secure=state.settings.env != "dev",
    )
    return response


@router.post("/sales/sign-in/{token}", response_model=None)
async def use_link(token: str, request: Request, state: StateDep) -> Response:
    """The link page's button: uses the link once and starts the session."""
    now = _now()
    language = await auth.link_language(state, token, now)
    try:
        form = await _form(request)
        secret = state.settings.secret_key.get_secret_value()
        nonce = request.cookies.get(LINK_COOKIE, "")
        rep_links.check_confirm(secret, token, form.confirm, nonce, now)
        value, next_path = await auth.use_link(state, token, now)
    except rep_links.LinkRefused as err:
        return _link_refused(state, err.kind, language)
    except SignInRefused as err:
        return _link_refused(state, err.kind, language)
    except DomainError as err:
        return _refused(state, None, err)
    response = RedirectResponse(next_path, status_code=303, headers=HEADERS)
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(state.settings.sales_session_hours * 3600),
        path="/sales",
        httponly=True,
        samesite="lax",
        secure=state.settings.env != "dev",
    )
    response.delete_cookie(LINK_COOKIE, path="/sales/sign-in/")
    return response


@router.post("/sales/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request, state: StateDep) -> HTMLResponse:
    who = await _who(request, state)
    if who is None:
        return _sign_in_page(state, 401, "need_sign_in")
    try:
        form = await _form(request)
    except DomainError as err:  # an overlong field: a page, like every other answer here
        return _refused(state, who, err)
    if not auth.csrf_ok(state, who, form.csrf):
        return _stale_form(state, who)
    await auth.sign_out(state, who.session_value, _now())
    response = _render(
        state, "sign_in.html.j2", None, step="signed_out", title="signed_out", language=who.language
    )
    response.delete_cookie(COOKIE, path="/sales")
    return response


# --- pages of a signed-in person --------------------------------------------------------


@router.get("/sales/history", response_class=HTMLResponse)
async def history(request: Request, state: StateDep) -> HTMLResponse:
    who = await _who(request, state)
    if who is None:
        return _need_sign_in(state, "/sales/history")
    items = await service.history(state, who)
    return _render(state, "history.html.j2", who, items=items, page="history")


@router.get("/sales/team", response_class=HTMLResponse)
async def team(request: Request, state: StateDep) -> HTMLResponse:
    who = await _who(request, state)
    if who is None:
        return _need_sign_in(state, "/sales/team")
    if not who.is_manager:
        return _render(
            state,
            "message.html.j2",
            who,
            403,
            title="forbidden",
            detail="this page is for the reps' manager",
        )
    items = await service.team_queue(state, who, _now())
    done = request.query_params.get("done", "")
    return _render(state, "team.html.j2", who, items=items, page="team", done=done, refresh=True)


async def _lead(
    state: AppState, who: Viewer, handoff_id: str, status: int = 200, **values: Any
) -> HTMLResponse:
    try:
        lead = await service.lead_page(state, who, handoff_id, _now())
    except DomainError as err:
        return _refused(state, who, err)
    return _render(state, "handoff.html.j2", who, status, lead=lead, page="lead", **values)


@router.get("/sales/handoffs/{handoff_id}", response_class=HTMLResponse)
async def lead_page(handoff_id: str, request: Request, state: StateDep) -> HTMLResponse:
    who = await _who(request, state)
    if who is None:
        return _need_sign_in(state, f"/sales/handoffs/{handoff_id}")
    done = request.query_params.get("done", "")
    return await _lead(state, who, handoff_id, done=done if done.isalpha() else "")


@router.post("/sales/handoffs/{handoff_id}/{action}", response_model=None)
async def act(handoff_id: str, action: str, request: Request, state: StateDep) -> Response:
    """An action from the lead page; then the page again, saying what happened."""
    who = await _who(request, state)
    if who is None:
        return _need_sign_in(state, f"/sales/handoffs/{handoff_id}")
    form = WorkspaceForm()
    try:
        form = await _form(request)
        if not auth.csrf_ok(state, who, form.csrf):
            return _stale_form(state, who)
        await service.act(state, who, handoff_id, action, form)
    except DomainError as err:
        if err.status_code in (403, 404):
            return _refused(state, who, err)
        return await _lead(
            state, who, handoff_id, err.status_code, problem=err, form=form, problem_action=action
        )
    return RedirectResponse(f"/sales/handoffs/{handoff_id}?done={action}", 303, headers=HEADERS)


@router.post("/sales/team/{handoff_id}/reassign", response_model=None)
async def reassign(handoff_id: str, request: Request, state: StateDep) -> Response:
    who = await _who(request, state)
    if who is None:
        return _need_sign_in(state, "/sales/team")
    try:
        form = await _form(request)
        if not auth.csrf_ok(state, who, form.csrf):
            return _stale_form(state, who)
        await reassigning.reassign(state, who, handoff_id, form.to_rep, form.note, form.from_rep)
    except DomainError as err:
        return _refused(state, who, err)
    return RedirectResponse("/sales/team?done=reassign", 303, headers=HEADERS)
