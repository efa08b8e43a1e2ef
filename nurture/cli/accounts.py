"""`nurture accounts backfill`: leads stored before accounts existed join their company's.

New leads join at intake; this brings in the rest once, after upgrading (it is safe to
run again: a lead that has an account keeps it)."""

from __future__ import annotations

import typer

from nurture.db import create_schema, make_engine, session_scope
from nurture.orchestration.lead_runs import company_of
from nurture.repo import accounts
from nurture.settings import get_settings

app = typer.Typer(help="Accounts: the leads of one company.", no_args_is_help=True)


@app.command()
def backfill() -> None:
    """Join every lead without an account to its company's (business addresses only)."""
    engine = make_engine(get_settings().database_url)
    create_schema(engine)
    try:
        with session_scope(engine) as session:
            joined, companies = accounts.backfill(session, company_of)
            total = accounts.count(session)
    finally:
        engine.dispose()
    typer.echo(
        f"{joined:,} leads joined the accounts of {companies:,} companies "
        f"({total:,} accounts in all)."
    )
