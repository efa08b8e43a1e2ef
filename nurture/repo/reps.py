"""Sales reps: the team, their API tokens, and who gets the next lead."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from nurture.models import LeadProfile
from nurture.rules.sla_model import Strategy
from nurture.settings import RepConfig
from nurture.tables import Rep, RepAssignment

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TOKEN_PREFIX = "nrt_"


class RepError(ValueError):
    """A rep operation that cannot be done, said so a person can fix it."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def add_rep(
    session: Session,
    *,
    name: str,
    email: str,
    manager_email: str | None = None,
    territories: Sequence[str] = (),
    industries: Sequence[str] = (),
    weight: int = 1,
    token: str | None = None,
    language: str | None = None,
    timezone: str | None = None,
) -> tuple[Rep, str]:
    """Create a rep; returns it with its API token (only its hash is stored)."""
    email = email.strip().lower()
    if session.exec(select(Rep).where(Rep.email == email)).first() is not None:
        raise RepError(f"a rep with email {email} exists already")
    if weight < 1:
        raise RepError("weight must be 1 or more")
    token = token or new_token()
    rep = Rep(
        name=name.strip(),
        email=email,
        manager_email=manager_email.strip().lower() if manager_email else None,
        territories=[t.strip().lower() for t in territories if t.strip()],
        industries=[i.strip().lower() for i in industries if i.strip()],
        weight=weight,
        language=language,
        timezone=timezone,
        token_hash=hash_token(token),
    )
    session.add(rep)
    session.flush()
    return rep, token


def find_rep(session: Session, email: str) -> Rep:
    rep = session.exec(select(Rep).where(Rep.email == email.strip().lower())).first()
    if rep is None:
        raise RepError(f"no rep with email {email}")
    return rep


def rep_by_email(session: Session, email: str) -> Rep | None:
    """The rep with this address, if there is one (a manager may be a rep too)."""
    return session.exec(select(Rep).where(Rep.email == email.strip().lower())).first()


def rep_by_token(session: Session, token: str) -> Rep | None:
    return session.exec(select(Rep).where(Rep.token_hash == hash_token(token))).first()


def issue_token(session: Session, email: str) -> str:
    rep = find_rep(session, email)
    token = new_token()
    rep.token_hash = hash_token(token)
    session.add(rep)
    return token


def list_reps(session: Session) -> list[Rep]:
    return list(session.exec(select(Rep).order_by(col(Rep.created_at), col(Rep.email))).all())


def get_rep(session: Session, rep_id: uuid.UUID) -> Rep | None:
    return session.get(Rep, rep_id)


def sync_from_config(session: Session, reps: Sequence[RepConfig], dev_tokens: bool) -> None:
    """Make the reps named in NURTURE_SALES_REPS exist; in dev they get `dev-rep-<n>` tokens."""
    for n, cfg in enumerate(reps, start=1):
        email = str(cfg.email).lower()
        existing = session.exec(select(Rep).where(Rep.email == email)).first()
        if existing is None:
            token = f"dev-rep-{n}" if dev_tokens else None
            if token and rep_by_token(session, token) is not None:
                token = None  # taken by a rep configured earlier: this one gets a random one
            add_rep(
                session,
                name=cfg.name,
                email=email,
                manager_email=str(cfg.manager) if cfg.manager else None,
                token=token,
                language=cfg.language,
                timezone=cfg.timezone,
            )
        else:  # configuration owns what it names: a language or zone set there wins
            if cfg.language is not None:
                existing.language = cfg.language
            if cfg.timezone is not None:
                existing.timezone = cfg.timezone
            session.add(existing)


# --- assignment -----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    rep: Rep
    reason: str


def available(session: Session, at: datetime, exclude: Sequence[str]) -> list[Rep]:
    """Active reps not away at `at` and not excluded, in a stable order."""
    excluded = {uuid.UUID(x) for x in exclude}
    return [
        rep
        for rep in list_reps(session)
        if rep.active
        and rep.id not in excluded
        and (rep.away_until is None or rep.away_until <= at)
    ]


def _next_in_turn(reps: Sequence[Rep]) -> Rep:
    return min(reps, key=lambda r: (r.last_assigned_at or EPOCH, r.created_at, r.email))


def choose(strategy: Strategy, reps: Sequence[Rep], profile: LeadProfile) -> Choice:
    """Pick from `reps` (non-empty) by the SLA's strategy, saying why."""
    if strategy == Strategy.WEIGHTED:
        rep = min(
            reps,
            key=lambda r: ((r.assigned_count + 1) / r.weight, r.last_assigned_at or EPOCH, r.email),
        )
        return Choice(rep, f"weighted: weight {rep.weight}, {rep.assigned_count} leads before")
    if strategy == Strategy.TERRITORY:
        territory = str(profile.attributes.get("territory", "")).strip().lower()
        industry = profile.industry.strip().lower()
        matching = [
            r
            for r in reps
            if (territory and territory in r.territories)
            or (industry and any(i in industry for i in r.industries))
        ]
        if matching:
            rep = _next_in_turn(matching)
            covers = f"territory {territory}" if territory in rep.territories else "industry"
            return Choice(rep, f"{covers} match, in turn among {len(matching)} reps")
        rep = _next_in_turn(reps)
        return Choice(
            rep, f"no rep covers the lead's territory or industry; round-robin of {len(reps)}"
        )
    rep = _next_in_turn(reps)
    return Choice(rep, f"round-robin: next in turn of {len(reps)} available reps")


def admin_addresses(session: Session, admin: str | None) -> list[str]:
    """Who hears that nobody can take a lead: the sales admin, else every rep's manager."""
    if admin:
        return [admin.strip().lower()]
    return sorted({rep.manager_email for rep in list_reps(session) if rep.manager_email})


def next_back(session: Session, at: datetime) -> datetime | None:
    """When the first active rep who is away at `at` comes back; None if nobody is away."""
    backs = [
        rep.away_until
        for rep in list_reps(session)
        if rep.active and rep.away_until is not None and rep.away_until > at
    ]
    return min(backs) if backs else None


def assign_to(
    session: Session, *, handoff_id: str, attempt: int, rep_id: str, at: datetime
) -> Choice:
    """A manager's reassignment to a named rep; asking again for the same attempt returns
    what the first ask recorded."""
    done = session.exec(
        select(RepAssignment).where(
            RepAssignment.handoff_id == handoff_id, RepAssignment.attempt == attempt
        )
    ).first()
    if done is not None:
        if str(done.rep_id) != rep_id:
            raise RepError(f"assignment {attempt} of this handoff went to another rep already")
        chosen = session.get(Rep, done.rep_id)
        if chosen is not None:
            return Choice(chosen, done.reason)
    rep = session.get(Rep, uuid.UUID(rep_id))
    if rep is None:
        raise RepError("no such rep")
    if not rep.active:
        raise RepError(f"{rep.name} is disabled")
    if rep.away_until is not None and rep.away_until > at:
        raise RepError(f"{rep.name} is away")
    reason = "reassigned by a manager"
    rep.assigned_count += 1
    rep.last_assigned_at = at
    session.add(rep)
    session.add(
        RepAssignment(handoff_id=handoff_id, attempt=attempt, rep_id=rep.id, reason=reason, at=at)
    )
    session.flush()
    return Choice(rep, reason)


def assign(
    session: Session,
    *,
    strategy: Strategy,
    handoff_id: str,
    attempt: int,
    profile: LeadProfile,
    at: datetime,
    exclude: Sequence[str],
    account_rep: uuid.UUID | None = None,
) -> Choice | None:
    """Assign the handoff's `attempt`-th rep; asking again for the same attempt returns the same.
    `account_rep`: the rep who already has the lead's company; chosen while available."""
    done = session.exec(
        select(RepAssignment).where(
            RepAssignment.handoff_id == handoff_id, RepAssignment.attempt == attempt
        )
    ).first()
    if done is not None:
        rep = session.get(Rep, done.rep_id)
        if rep is not None:
            return Choice(rep, done.reason)
    reps = available(session, at, exclude)
    if not reps:
        return None
    same = next((r for r in reps if r.id == account_rep), None)
    if same is not None:
        choice = Choice(same, "account: this rep already has a lead of the same company")
    else:
        choice = choose(strategy, reps, profile)
    choice.rep.assigned_count += 1
    choice.rep.last_assigned_at = at
    session.add(choice.rep)
    session.add(
        RepAssignment(
            handoff_id=handoff_id,
            attempt=attempt,
            rep_id=choice.rep.id,
            reason=choice.reason,
            at=at,
        )
    )
    session.flush()
    return choice
