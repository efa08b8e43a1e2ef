"""`nurture outbox`: the mail that did not simply go out, for ops to see and settle.

Held mail waits for the relay or the SMTP settings to be fixed and goes by itself. Mail of
unknown fate was handed to the relay by a worker that died before the answer: nurture never
re-sends it; an operator who checked the relay's log by Message-ID settles it here.
"""

from __future__ import annotations

import typer

from nurture.db import create_schema, make_engine, session_scope
from nurture.repo import emails
from nurture.settings import get_settings

app = typer.Typer(
    help="Mail held, of unknown fate or given up; settle the unknown ones.",
    invoke_without_command=True,
)
STATUSES = ("uncertain", "held", "failed", "pending", "sending", "bounced")


@app.callback()
def listing(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, help=f"Only this status: {', '.join(STATUSES)} (default: all but sent/skipped)."
    ),
    limit: int = typer.Option(200, min=1, max=10_000, help="At most this many rows."),
) -> None:
    """List outbox rows that are not simply delivered, newest first; exit 1 while mail is
    held, of unknown fate or given up (for a cron job's alert)."""
    if ctx.invoked_subcommand is not None:
        return
    if status is not None and status not in STATUSES:
        typer.echo(f"error: --status must be one of {', '.join(STATUSES)}", err=True)
        raise typer.Exit(2)
    engine = make_engine(get_settings().database_url)
    create_schema(engine)
    with session_scope(engine) as session:
        health = emails.health(session)
        rows = emails.listed(session, status, limit)
        typer.echo(f"mail: {health.summary()}")
        for row in rows:
            what = f"{row.scenario}/{row.step}" if row.kind == "nurture" else "sales notice"
            typer.echo(
                f"{row.id:>7}  {row.status:<9}  lead {row.lead_id}  {what}  "
                f"{row.message_id}  {row.last_error}"
            )
    engine.dispose()
    if not health.ok:
        raise typer.Exit(1)


@app.command()
def resolve(
    outbox_id: int = typer.Argument(..., help="The row's number, as `nurture outbox` lists it."),
    delivered: bool = typer.Option(
        ...,
        "--delivered/--not-delivered",
        help="What the relay's log says about the row's Message-ID.",
    ),
    note: str = typer.Option("", help="Why (e.g. 'relay log 2026-12-01 10:02 queued')."),
) -> None:
    """Settle a mail of unknown fate from the relay's log: it counts as delivered, or as failed.

    Never re-sends: a mail the relay did not take is for the scenario's next step to make up.
    """
    engine = make_engine(get_settings().database_url)
    create_schema(engine)
    with session_scope(engine) as session:
        row = emails.get(session, outbox_id)
        if row is None:
            typer.echo(f"error: no outbox row {outbox_id}", err=True)
            raise typer.Exit(2)
        if row.status != "uncertain":
            typer.echo(
                f"error: row {outbox_id} is {row.status}, not uncertain; only a mail of unknown "
                "fate is settled by hand",
                err=True,
            )
            raise typer.Exit(2)
        text = f"resolved by ops: {'delivered' if delivered else 'not delivered'}"
        emails.resolve(session, outbox_id, delivered, f"{text}. {note}".strip())
        typer.echo(f"outbox row {outbox_id}: {text}")
    engine.dispose()
