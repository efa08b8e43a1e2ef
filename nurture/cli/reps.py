"""`nurture reps`: the sales team, managed from the terminal against the configured database."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session

from nurture.db import create_schema, make_engine, session_scope
from nurture.orchestration.rep_availability import wake_waiting
from nurture.repo import reps
from nurture.settings import get_settings
from nurture.temporal import connect

app = typer.Typer(help="Manage sales reps and their API tokens.", no_args_is_help=True)
T = TypeVar("T")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _email(value: str, what: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as err:
        raise _fail(f"{what} {value!r} is not a valid email address: {err}") from None


def _in_db(work: Callable[[Session], T]) -> T:
    engine = make_engine(get_settings().database_url)
    create_schema(engine)
    try:
        with session_scope(engine) as session:
            return work(session)
    except reps.RepError as err:
        raise _fail(str(err)) from None
    finally:
        engine.dispose()


def _wake_waiting_leads() -> None:
    """A rep may be available now: leads that wait for one are assigned at once."""
    told = asyncio.run(_wake())
    # The Temporal client's runtime must be gone before the interpreter exits: its thread
    # releasing Python objects during finalization can abort the exit (seen: 134).
    gc.collect()
    if isinstance(told, str):  # the change stands; the handoffs retry on their own
        typer.echo(
            f"note: Temporal not reached ({told}); leads waiting for a rep are assigned "
            "within the hour"
        )
    elif told:
        typer.echo(f"{told} lead(s) waiting for a rep: being assigned now")


async def _wake() -> int | str:
    """How many waiting handoffs were told, or why Temporal was not reached (as text: an
    exception kept past the event loop would keep the client alive)."""
    try:
        client = await asyncio.wait_for(connect(get_settings()), timeout=10)
        return await wake_waiting(client)
    except Exception as err:
        return type(err).__name__


@app.command()
def add(
    name: str = typer.Option(..., help="The rep's name, as leads and managers see it."),
    email: str = typer.Option(..., help="Where handoff notices go."),
    manager: str | None = typer.Option(None, help="Manager's email, told on escalation."),
    territory: list[str] = typer.Option([], help="A territory the rep covers (repeatable)."),
    industry: list[str] = typer.Option([], help="An industry the rep covers (repeatable)."),
    weight: int = typer.Option(1, min=1, help="Share of leads under the weighted strategy."),
    language: str | None = typer.Option(
        None, help="Language of the rep's mail and pages: en or ja (default: the product's)."
    ),
    timezone: str | None = typer.Option(
        None, help="IANA time zone the rep reads times in, e.g. Asia/Tokyo (default: the SLA's)."
    ),
) -> None:
    """Add a rep and print their API token (shown this once; only its hash is kept)."""
    address = _email(email, "--email")
    boss = _email(manager, "--manager") if manager else None
    if not name.strip():
        raise _fail("--name must not be empty")
    if language is not None and language not in ("en", "ja"):
        raise _fail(f"--language {language!r}: nurture writes to reps in en or ja")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = f"--timezone {timezone!r}"
            raise _fail(f"{zone} is not an IANA time zone like Asia/Tokyo") from None

    def work(session: Session) -> str:
        _, token = reps.add_rep(
            session,
            name=name,
            email=address,
            manager_email=boss,
            territories=territory,
            industries=industry,
            weight=weight,
            language=language,
            timezone=timezone,
        )
        return token

    token = _in_db(work)
    typer.echo(f"added {name} <{address}>")
    typer.echo(f"API token (shown once, keep it safe): {token}")
    _wake_waiting_leads()


@app.command("list")
def list_() -> None:
    """List reps: status, away dates, weights, coverage, lead counts."""

    def work(session: Session) -> list[str]:
        now = datetime.now(UTC)
        lines = []
        for rep in reps.list_reps(session):
            if not rep.active:
                status = "disabled"
            elif rep.away_until and rep.away_until > now:
                status = f"away until {rep.away_until:%Y-%m-%d}"
            else:
                status = "active"
            cover = ",".join(rep.territories + rep.industries) or "-"
            manager = rep.manager_email or "-"
            reads = f"{rep.language or 'default'}/{rep.timezone or 'SLA zone'}"
            lines.append(
                f"{rep.email:<36} {rep.name:<20} {status:<22} weight {rep.weight:<3} "
                f"covers {cover:<20} leads {rep.assigned_count:<4} manager {manager} "
                f"reads {reads}"
            )
        return lines

    lines = _in_db(work)
    typer.echo(
        "\n".join(lines) if lines else "no reps yet: nurture reps add --name ... --email ..."
    )


def _set_active(email: str, active: bool) -> None:
    def work(session: Session) -> None:
        rep = reps.find_rep(session, email)
        rep.active = active
        session.add(rep)

    _in_db(work)


@app.command()
def disable(email: str = typer.Argument(..., help="The rep's email.")) -> None:
    """Stop assigning leads to a rep and refuse their token."""
    _set_active(email, False)
    typer.echo(f"disabled {email}")


@app.command()
def enable(email: str = typer.Argument(..., help="The rep's email.")) -> None:
    """Assign leads to a disabled rep again."""
    _set_active(email, True)
    typer.echo(f"enabled {email}")
    _wake_waiting_leads()


@app.command()
def away(
    email: str = typer.Argument(..., help="The rep's email."),
    until: str = typer.Option(..., help="Last day away (YYYY-MM-DD), or 'back' to clear."),
) -> None:
    """Skip a rep in assignment until the end of a day (in the SLA calendar's time zone)."""
    back: datetime | None = None
    if until != "back":
        try:
            day = date.fromisoformat(until)
        except ValueError:
            raise _fail(f"--until {until!r} is not a date like 2026-12-31 (or 'back')") from None
        from scenarios.sla import SLA

        zone = ZoneInfo(SLA.calendar.timezone)
        back = datetime.combine(day, time.max, tzinfo=zone).astimezone(UTC)

    def work(session: Session) -> None:
        rep = reps.find_rep(session, email)
        rep.away_until = back
        session.add(rep)

    _in_db(work)
    typer.echo(
        f"{email} is back" if back is None else f"{email} is away until {until} (end of day)"
    )
    if back is None:
        _wake_waiting_leads()


@app.command()
def token(email: str = typer.Argument(..., help="The rep's email.")) -> None:
    """Issue a new API token for a rep (the old one stops working)."""
    new = _in_db(lambda session: reps.issue_token(session, email))
    typer.echo(f"API token for {email} (shown once): {new}")
