"""Who is signed in to /sales: the one-time emailed link, the server-side session, the viewer.

No passwords. A person asks for a link by address; a link goes out only to an active rep's
address or a manager's (`Rep.manager_email`), and the answer is the same either way, so the
page never tells who is a rep. The link's GET shows a button; only its POST uses the link
and starts a session (mail scanners fetch links). The session cookie holds a random value
whose hash is the session row; signing out ends the row, so an old cookie is worthless.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from api.deps import AppState
from api.services.workspace_mail import send_sign_in_link
from nurture import workspace_tokens as wt
from nurture.repo import rep_sessions, reps, workspace
from nurture.rules import rep_words
from nurture.tables import Rep
from scenarios.sla import SLA

log = logging.getLogger("nurture.api.workspace")
COOKIE = "nurture_sales"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: a rep (their own queue), a manager (their team's), or both."""

    email: str
    rep: Rep | None  # their own active rep row
    team: tuple[Rep, ...]  # the reps they manage
    language: str
    zone: ZoneInfo
    session_value: str

    @property
    def is_manager(self) -> bool:
        return bool(self.team)


def _viewer(session: Session, email: str, value: str, default_language: str) -> Viewer | None:
    own = reps.rep_by_email(session, email)
    team = tuple(workspace.team_of(session, email))
    rep = own if own is not None and own.active else None
    if rep is None and not team:
        return None  # disabled, and manages nobody: the session no longer stands for anyone
    return Viewer(
        email=email,
        rep=rep,
        team=team,
        language=rep_words.language_for(own.language if own else None, default_language),
        zone=rep_words.zone_for(own.timezone if own else None, SLA.calendar.zone),
        session_value=value,
    )


def may_sign_in(session: Session, email: str) -> bool:
    own = reps.rep_by_email(session, email)
    return (own is not None and own.active) or bool(workspace.team_of(session, email))


# A page of the workspace a sign-in may lead back to: /sales or a path under it, of plain
# segments only (no query, no "//", no "..", no scheme: never another site).
_LOCAL_PAGE = re.compile(r"^/sales(?:/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199})*$")
_NOT_AFTER_SIGN_IN = ("/sales/sign-in", "/sales/sign-out")
NEXT_MAX = 300


def safe_next(path: str | None) -> str | None:
    """`path` when it is a /sales page to return to after signing in, else None."""
    if not path or len(path) > NEXT_MAX or not _LOCAL_PAGE.fullmatch(path):
        return None
    if any(path == p or path.startswith(p + "/") for p in _NOT_AFTER_SIGN_IN):
        return None
    return None if path == "/sales" else path


def _ask(
    session: Session,
    email: str,
    value: str,
    now: datetime,
    minutes: float,
    next_path: str | None,
) -> bool:
    """Whether to mail a new link: the address may sign in and has no unused link younger
    than a minute (asking twice mails once; the page says the same words either way)."""
    if not may_sign_in(session, email):
        return False
    return rep_sessions.add_link(session, email, value, now, minutes, next_path)


async def ask_for_link(
    state: AppState, email: str, now: datetime, next_path: str | None = None
) -> None:
    """Mail a sign-in link when the address may sign in; the caller answers the same words
    either way. The mail goes out after the answer (a background task), so the answer takes
    no longer for a rep's address than for anyone's. `next_path` (checked by `safe_next`)
    is where the link leads once used."""
    minutes = state.settings.sign_in_link_minutes
    value = wt.new_value()
    email = email.strip().lower()
    if not await state.db.run(_ask, email, value, now, minutes, safe_next(next_path)):
        log.info("sign-in link asked for an address that may not sign in or has a fresh one")
        return
    secret = state.settings.secret_key.get_secret_value()
    token = wt.make_sign_in(secret, value, now + timedelta(minutes=minutes))
    language = await state.db.run(_reader_language, email, state.settings.default_language)
    await send_sign_in_link(state.settings, email, token, language)


def _reader_language(session: Session, email: str, default: str) -> str:
    own = reps.rep_by_email(session, email)
    return rep_words.language_for(own.language if own else None, default)


async def link_language(state: AppState, token: str, now: datetime) -> str:
    """The language of the person a link was sent to, for its page (default when unknown)."""
    default = state.settings.default_language
    try:
        value = wt.read_sign_in(state.settings.secret_key.get_secret_value(), token, now)
        email = await state.db.run(rep_sessions.peek_link, value, now)
    except wt.SignInRefused:
        return default
    return await state.db.run(_reader_language, email, default)


async def check_link(state: AppState, token: str, now: datetime) -> None:
    """SignInRefused unless the link can still sign someone in; uses nothing."""
    value = wt.read_sign_in(state.settings.secret_key.get_secret_value(), token, now)
    await state.db.run(rep_sessions.peek_link, value, now)


def _use(
    session: Session, value: str, session_value: str, now: datetime, hours: float
) -> str | None:
    email, next_path = rep_sessions.use_link(session, value, now)
    if not may_sign_in(session, email):
        raise wt.SignInRefused("invalid")  # disabled since the link went out
    rep_sessions.start(session, email, session_value, now, hours)
    return next_path


async def use_link(state: AppState, token: str, now: datetime) -> tuple[str, str]:
    """Use the link once and start a session: the cookie's value and the page to go to
    (where the person was going when asked to sign in, else /sales). SignInRefused
    otherwise."""
    value = wt.read_sign_in(state.settings.secret_key.get_secret_value(), token, now)
    session_value = wt.new_value()
    hours = state.settings.sales_session_hours
    next_path = await state.db.run(_use, value, session_value, now, hours)
    return session_value, safe_next(next_path) or "/sales"


def _current(session: Session, value: str, now: datetime, language: str) -> Viewer | None:
    row = rep_sessions.current(session, value, now)
    return None if row is None else _viewer(session, row.email, value, language)


async def viewer(state: AppState, cookie: str | None, now: datetime) -> Viewer | None:
    """Who the session cookie stands for; None when absent, ended, expired or disabled."""
    if not cookie or len(cookie) > 200:
        return None
    return await state.db.run(_current, cookie, now, state.settings.default_language)


async def sign_out(state: AppState, cookie: str, now: datetime) -> None:
    await state.db.run(rep_sessions.end, cookie, now)


def csrf(state: AppState, who: Viewer) -> str:
    return wt.csrf_for(state.settings.secret_key.get_secret_value(), who.session_value)


def csrf_ok(state: AppState, who: Viewer, given: str) -> bool:
    return wt.csrf_ok(state.settings.secret_key.get_secret_value(), who.session_value, given)
