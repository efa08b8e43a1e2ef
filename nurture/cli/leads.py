"""`nurture leads`: the supported way for ops to stop a lead, and to bring one back.

Terminating or cancelling a lead's workflow in the Temporal CLI also halts it (nurture
notices, parks its events and never restarts it from zero); `resume` is the way back.
"""

from __future__ import annotations

import asyncio
import gc
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import typer

from nurture.db import create_schema, make_engine
from nurture.orchestration import lead_ops
from nurture.settings import get_settings
from nurture.temporal import connect

app = typer.Typer(help="Stop a lead for good, or resume a halted one.", no_args_is_help=True)


def _lead_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        typer.echo(f"error: {value!r} is not a lead id (a UUID, as the API shows it)", err=True)
        raise typer.Exit(2) from None


@app.command()
def stop(
    lead_id: str = typer.Argument(..., help="The lead's id."),
    reason: str = typer.Option(..., help="Why, for the lead's timeline (no personal data)."),
) -> None:
    """Stop the lead: no more mail or scoring; it shows as disqualified and halted, and its
    events are kept (parked). Refused while sales holds the lead."""
    lead = _lead_id(lead_id)
    if not reason.strip():
        typer.echo("error: --reason must not be empty", err=True)
        raise typer.Exit(2)

    async def run() -> None:
        client = await connect(get_settings())
        status = await lead_ops.stop(client, lead, reason.strip())
        typer.echo(f"lead {lead}: stopped ({status.stage.value}, score {status.score})")

    _run(run)


@app.command()
def resume(lead_id: str = typer.Argument(..., help="The lead's id.")) -> None:
    """Start a halted lead again from its record (score, stage, handoff, mail already sent),
    then apply the events parked while it was halted."""
    lead = _lead_id(lead_id)
    settings = get_settings()

    async def run() -> None:
        engine = make_engine(settings.database_url)
        create_schema(engine)
        try:
            client = await connect(settings)
            done = await lead_ops.resume(client, settings, engine, lead)
        finally:
            engine.dispose()
        typer.echo(
            f"lead {lead}: resumed at {done.stage.value}, score {done.score}; "
            f"{done.parked_applied} parked event(s) applied"
        )

    _run(run)


def _run(work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    async def guarded() -> str | None:
        # Errors become text inside the loop: a traceback kept alive past asyncio.run holds
        # the Temporal client, whose runtime thread then crashes the interpreter's exit.
        try:
            await work()
        except lead_ops.Refused as refused:
            return f"error: {refused}"
        except (ConnectionError, RuntimeError) as err:
            return f"error: cannot reach Temporal: {err}"
        return None

    problem = asyncio.run(guarded())
    gc.collect()
    if problem is not None:
        typer.echo(problem, err=True)
        raise typer.Exit(2)
