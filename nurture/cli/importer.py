"""`nurture import`: offline leads (trade-show lists, business cards) from a CSV file into the
running API, in batches paced by the workers (import_send). No row is lost: those refused,
here or by the API, are written to `<FILE>.rejected.csv` with their line number and the
reason, ready to fix and import.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import typer
from pydantic import ValidationError

from nurture.cli.import_send import LOG_EVERY_S, ApiUnreachable, Outcome, Row, Sender
from nurture.lead_csv import (
    CsvFileError,
    LeadTable,
    Rejected,
    lead_fields,
    read_table,
    size_of,
    write_rejected,
)
from nurture.orchestration.intake import LeadIn
from nurture.validation import describe_validation
from scenarios import SCENARIOS


def payload(table: LeadTable, cells: list[str], source: str, scenario: str) -> dict[str, Any]:
    """The POST /v1/leads body of one row; ValueError with the reason when the row is bad."""
    fields: dict[str, Any] = {**lead_fields(table, cells), "source": source, "scenario": scenario}
    if "email" not in fields:
        raise ValueError(f"no email ({table.header_of('email')} is empty)")
    if "company_size" in fields:
        try:
            fields["company_size"] = size_of(fields["company_size"])
        except ValueError as err:
            raise ValueError(f"{table.header_of('company_size')}: {err}") from None
    try:
        lead = LeadIn.model_validate(fields)
    except ValidationError as err:
        _, details = describe_validation(list(err.errors()))
        raise ValueError(
            "; ".join(f"{table.header_of(d['field'])}: {d['problem']}" for d in details)
        ) from None
    return lead.model_dump(mode="json", exclude_none=True)


HEALTH_TRIES = 4  # about 7 s


async def preflight(http: httpx.AsyncClient, base: str, token: str) -> None:
    """Refuse before the first row: an API that is down, unhealthy, or refuses the token."""
    try:
        for attempt in range(HEALTH_TRIES):  # a busy moment is not an outage: ask again
            health = await http.get(f"{base}/healthz")
            if health.status_code == 200:
                break
            if attempt + 1 < HEALTH_TRIES:
                await asyncio.sleep(2**attempt)
        else:
            raise ApiUnreachable(f"the API at {base} is not healthy: {health.text[:200]}")
        probe = await http.get(
            f"{base}/v1/leads", params={"limit": 1}, headers={"Authorization": f"Bearer {token}"}
        )
    except httpx.HTTPError as err:
        raise ApiUnreachable(f"cannot reach the API at {base}: {err}") from None
    if probe.status_code in (401, 403):
        raise ApiUnreachable(f"the API refused the admin token (NURTURE_ADMIN_TOKEN): {probe.text}")


async def send(
    table: LeadTable,
    base: str,
    token: str,
    source: str,
    scenario: str,
    concurrency: int = 2,
    log_every: float = LOG_EVERY_S,
) -> Outcome:
    """Every row to the API in batches (import_send); the same email twice goes in file order."""
    outcome = Outcome()
    ready: list[Row] = []
    for line, cells in table.rows:
        try:
            ready.append((line, cells, payload(table, cells, source, scenario)))
        except ValueError as err:
            outcome.rejected.append(Rejected(line, cells, str(err)))
    async with httpx.AsyncClient(timeout=120) as http:
        await preflight(http, base, token)
        sender = Sender(http, base, token, outcome, concurrency, log_every)
        await sender.send_all(ready, len(table.rows), len(outcome.rejected))
    outcome.rejected.sort(key=lambda r: r.line)
    return outcome


def run(
    path: Path,
    *,
    source: str,
    scenario: str,
    api: str,
    token: str,
    encoding: str | None = None,
    concurrency: int = 2,
    log_every: float = LOG_EVERY_S,
) -> int:
    """Import the file and say how it went; the exit code (0 all in, 1 rows rejected, 2 failed)."""
    if scenario not in SCENARIOS:
        typer.echo(f"error: unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}", err=True)
        return 2
    try:
        LeadIn(email="check@example.com", scenario=scenario, source=source)
    except ValidationError as err:
        typer.echo(f"error: --{describe_validation(list(err.errors()))[0]}", err=True)
        return 2
    try:
        table = read_table(path, encoding)
    except CsvFileError as err:
        typer.echo(f"error: {path} {err}", err=True)
        return 2
    if table.unused:
        typer.echo(f"columns not imported: {', '.join(table.unused)}")
    try:
        outcome = asyncio.run(
            send(table, api.rstrip("/"), token, source, scenario, concurrency, log_every)
        )
    except ApiUnreachable as err:
        typer.echo(f"error: {err}", err=True)
        return 2
    summary = (
        f"{path.name}: imported {outcome.imported}, updated {outcome.updated}, "
        f"rejected {len(outcome.rejected)} of {len(table.rows)} rows"
    )
    if outcome.rejected:
        out = write_rejected(table, path, outcome.rejected)
        summary += f"; rejected rows and reasons in {out}"
        for row in outcome.rejected[:5]:
            typer.echo(f"  line {row.line}: {row.reason}", err=True)
    typer.echo(summary)
    if outcome.stopped is not None:
        typer.echo(f"error: {outcome.stopped}", err=True)
        return 2
    return 1 if outcome.rejected else 0
