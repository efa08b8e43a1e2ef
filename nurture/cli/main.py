"""The `nurture` command: run the parts, sign webhooks, read the dev mail sink."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from nurture.cli.accounts import app as accounts_app
from nurture.cli.backtest import app as scoring_app
from nurture.cli.leads import app as leads_app
from nurture.cli.outbox import app as outbox_app
from nurture.cli.reps import app as reps_app

if TYPE_CHECKING:
    from temporalio.client import WorkflowHistory
from nurture.settings import STATE_DIR, Settings, get_settings

app = typer.Typer(
    help="nurture: workflow-as-code lead nurture on Temporal.",
    no_args_is_help=True,
    add_completion=False,
)

MAIL_DIR = STATE_DIR / "mail"
app.add_typer(reps_app, name="reps")
app.add_typer(outbox_app, name="outbox")
app.add_typer(leads_app, name="leads")
app.add_typer(scoring_app, name="scoring")
app.add_typer(accounts_app, name="accounts")


def _settings_or_exit() -> Settings:
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as err:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())
        typer.echo(f"error: invalid settings: {problems}", err=True)
        raise typer.Exit(2) from None


def _logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command()
def api(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, max=64, help="API processes sharing the port (uvicorn workers)."
    ),
) -> None:
    """Run the HTTP API (settings from NURTURE_* variables)."""
    import uvicorn

    from api.main import create_app

    settings = _settings_or_exit()
    _logging(settings.log_level)
    level = settings.log_level.lower()
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=level)
        return
    from nurture.db import create_schema, make_engine

    # Migrate once here, so the processes' own start-up finds the schema at head.
    engine = make_engine(settings.database_url)
    create_schema(engine)
    engine.dispose()
    # Each process builds its app (its own engine and Temporal client) from NURTURE_*.
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=level,
        # A process's start (imports, the app, its Temporal client) must answer uvicorn's
        # health check in time; the default 5 s was missed on a busy 2-core machine.
        timeout_worker_healthcheck=60,
    )


@app.command()
def worker(
    processes: int = typer.Option(
        1,
        min=1,
        max=64,
        help="Worker processes on the task queue (each its own Python, so its own core); "
        "this process then supervises them.",
    ),
    process_index: int | None = typer.Option(None, hidden=True),  # set by --processes
) -> None:
    """Run the Temporal worker (settings from NURTURE_* variables)."""
    import asyncio

    import worker as worker_module

    settings = _settings_or_exit()
    _logging(settings.log_level)
    if processes > 1:
        raise typer.Exit(worker_module.run_processes(settings, processes))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(worker_module.run(settings, process_index=process_index))


@app.command()
def dev(
    api_port: int = typer.Option(8000, help="API port."),
    ui_port: int = typer.Option(8233, help="Temporal UI port."),
    temporal_port: int = typer.Option(7233, help="Temporal frontend port."),
    smtp_port: int = typer.Option(1025, help="SMTP sink port."),
    mail_port: int = typer.Option(8025, help="Mail viewer port."),
) -> None:
    """Start everything on the embedded default: Temporal dev server, SMTP sink, worker, API."""
    from nurture.cli.devstack import DevStack

    settings = _settings_or_exit()
    if settings.env != "dev":
        typer.echo("error: `nurture dev` is for NURTURE_ENV=dev only", err=True)
        raise typer.Exit(2)
    stack = DevStack(
        api_port=api_port,
        ui_port=ui_port,
        temporal_port=temporal_port,
        smtp_port=smtp_port,
        mail_port=mail_port,
    )
    raise typer.Exit(stack.run())


@app.command()
def mailsink(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(1025, help="SMTP port."),
    web_port: int = typer.Option(8025, help="Mail viewer port (0: none)."),
    folder: Path = typer.Option(MAIL_DIR, help="Where received mails are kept as .eml."),
) -> None:
    """Run the local SMTP sink that keeps every mail (and its web viewer)."""
    from nurture.cli.mailviewer import serve_sink

    _logging("INFO")
    serve_sink(host=host, port=port, web_port=web_port, folder=folder)


@app.command()
def mail(
    show: int = typer.Option(0, help="Print message N (1 = newest) in full."),
    folder: Path = typer.Option(MAIL_DIR, help="The sink's folder."),
) -> None:
    """List the mails the dev SMTP sink received, newest first, or print one."""
    from nurture.mailsink import read_folder

    messages = list(reversed(read_folder(folder)))
    if not messages:
        typer.echo(f"no mail in {folder}")
        return
    if show:
        if not 1 <= show <= len(messages):
            typer.echo(f"error: --show must be between 1 and {len(messages)}", err=True)
            raise typer.Exit(2)
        _, msg = messages[show - 1]
        for header in ("Date", "From", "To", "Subject", "Message-ID"):
            typer.echo(f"{header}: {msg.get(header, '')}")
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else "(no text part)"
        typer.echo("")
        # Mail travels with CRLF line ends; a link copied or piped on would end in \r.
        typer.echo("\n".join(text.splitlines()))
        return
    for index, (_, msg) in enumerate(messages, start=1):
        typer.echo(
            f"{index:>4}  {msg.get('Date', '')}  {msg.get('To', '')}  {msg.get('Subject', '')}"
        )


@app.command()
def sign(
    body_file: Path = typer.Argument(..., help="The exact body to send ('-' for stdin)."),
    secret: str | None = typer.Option(None, help="Shared secret (default NURTURE_WEBHOOK_SECRET)."),
) -> None:
    """Print the X-Nurture-Signature header value for a webhook body."""
    from nurture import signing

    body = sys.stdin.buffer.read() if str(body_file) == "-" else _read(body_file)
    key = secret or _settings_or_exit().webhook_secret.get_secret_value()
    typer.echo(signing.sign(body, key))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        typer.echo(f"error: cannot read {path}: {err.strerror}", err=True)
        raise typer.Exit(2) from None


@app.command()
def preview(
    scenario: str = typer.Argument(..., help="Scenario, e.g. whitepaper."),
    step: str = typer.Argument(..., help="Step, e.g. thanks."),
    lead: Path | None = typer.Option(None, help="JSON file with lead fields and attributes."),
    language: str = typer.Option("en", help="en or ja."),
    html: Path | None = typer.Option(None, help="Write the HTML part to this file."),
) -> None:
    """Render a scenario step as a lead would get it (subject and text, or HTML to a file)."""
    from nurture.cli import preview as previews

    fields = None
    if lead is not None:
        try:
            fields = json.loads(_read(lead))
        except json.JSONDecodeError as err:
            typer.echo(f"error: {lead} is not valid JSON: {err}", err=True)
            raise typer.Exit(2) from None
        if not isinstance(fields, dict):
            typer.echo(f"error: {lead} must hold a JSON object of lead fields", err=True)
            raise typer.Exit(2)
    try:
        site_url = _settings_or_exit().content_base
        rendered = previews.render(scenario, step, fields, language, site_url)
    except previews.PreviewError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    if rendered.language != language:
        typer.echo(
            f"note: {scenario}/{step} has no {language} template; a lead reading {language} "
            f"gets it in English (the fallback), as shown",
            err=True,
        )
    if html is not None:
        previews.write_html(rendered, html)
        typer.echo(f"wrote {html} ({rendered.subject})")
        return
    typer.echo(f"Subject: {rendered.subject}\n")
    typer.echo(rendered.text)


@app.command()
def check(
    paths: list[Path] = typer.Argument(
        None, help="Scenario files or folders (default: the project's scenarios/)."
    ),
) -> None:
    """Check scenario code for what breaks leads on replay: clock, randomness, I/O, threads.

    Scenarios run inside each lead's workflow without the sandbox's guard, so a
    datetime.now() there passes every test and breaks leads later. Exit 1 names each use
    (file:line:col) and what to use instead; the project modules they import are read too.
    """
    from nurture import scenario_check

    targets = paths or [scenario_check.scenarios_folder()]
    missing = [str(p) for p in targets if not p.exists()]
    if missing:
        typer.echo(f"error: no such file or folder: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    report = scenario_check.check(targets)
    for finding in report.findings:
        typer.echo(str(finding.relative_to(Path.cwd())))
    files, imported = len(report.files), len(report.imported)
    checked = f"{files} scenario file{'s' * (files != 1)} and {imported} modules they import"
    if report.findings:
        problems = len(report.findings)
        typer.echo(f"{problems} problem{'s' * (problems != 1)} in {checked}: leads would break")
        raise typer.Exit(1)
    typer.echo(f"OK: {checked}: no wall clock, randomness, I/O, environment or threads")


@app.command()
def demo(
    leads: int = typer.Option(500, min=1, max=100_000, help="How many demo leads."),
    api_url: str = typer.Option("http://localhost:8000", "--api", help="The running API."),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same demo."),
    mail_folder: Path = typer.Option(
        MAIL_DIR, help="Where the dev SMTP sink keeps mail; demo leads read theirs from here."
    ),
    timeout: float = typer.Option(
        120.0, min=1, help="Seconds to wait, after intake, for mail and handoffs to settle."
    ),
) -> None:
    """Drive realistic demo leads through the running stack: campaigns, behaviour, people
    opening and clicking their mail, and sales working the handoffs."""
    import asyncio

    import httpx

    from nurture.cli import demo as demos

    conf = _settings_or_exit()
    api = demos.Api(
        base=api_url.rstrip("/"),
        admin=conf.admin_token.get_secret_value(),
        secret=conf.webhook_secret.get_secret_value(),
    )
    try:
        summary = asyncio.run(demos.run(api, leads, seed, mail_folder, timeout))
    except httpx.HTTPError as err:
        typer.echo(f"error: the API at {api_url} did not answer as expected: {err}", err=True)
        raise typer.Exit(2) from None
    except demos.DemoError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    for line in demos.report(summary, api.base, mail_folder):
        typer.echo(line)
    if summary.problems:
        typer.echo(f"error: the stack misbehaved ({len(summary.problems)} problems):", err=True)
        for problem in summary.problems[:10]:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)


@app.command()
def replay(
    paths: list[Path] = typer.Argument(
        None, help="History JSON files, or folders of them (e.g. tests/histories)."
    ),
    query: str | None = typer.Option(
        None,
        help="Replay the workflows this visibility query lists on the Temporal server, and "
        "count the running leads still on the pre-patch path (workflows/lead_legacy.py), e.g. "
        '\'WorkflowType="LeadWorkflow" AND ExecutionStatus="Running"\'.',
    ),
    workflow_id: list[str] = typer.Option(
        [], "--workflow-id", help="Replay this workflow's history from the server (repeatable)."
    ),
    limit: int = typer.Option(100, min=1, help="At most this many workflows from --query."),
    save: Path | None = typer.Option(
        None, help="Also write each history fetched from the server into this folder."
    ),
) -> None:
    """Replay workflow histories against today's code; fails on non-determinism.

    Run it before deploying a change to workflow or scenario code: a failure means leads
    in flight would break (guard the change with workflow.patched, see docs/authoring.md).
    With --query or --workflow-id it also says whether workflows/lead_legacy.py may go: a
    lead's run on the pre-patch path is marked "pre-patch path".
    """
    import asyncio

    from nurture.cli import replay as replays

    if not paths and query is None and not workflow_id:
        typer.echo("error: name history files or folders, or --query / --workflow-id", err=True)
        raise typer.Exit(2)
    try:
        named = [(p.stem, replays.load_history(p)) for p in replays.history_files(paths or [])]
    except replays.HistoryFileError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    from_server: list[tuple[str, WorkflowHistory]] = []
    more = False
    if query is not None or workflow_id:
        fetched = asyncio.run(_fetch_histories(query, workflow_id, limit, save))
        gc.collect()  # see _fetch_histories
        if isinstance(fetched, str):
            typer.echo(fetched, err=True)
            raise typer.Exit(2)
        from_server, more = fetched
    if not named and not from_server:
        typer.echo("error: no histories found", err=True)
        raise typer.Exit(2)
    runner = _settings_or_exit().workflow_runner  # the worker's, so the verdict is its
    results = asyncio.run(replays.replay(named + from_server, runner))
    # The replayer's Temporal runtime must be gone before the interpreter exits: its
    # thread releasing Python objects during finalization crashes the exit (seen: -6).
    gc.collect()
    for r in results:
        verdict = "ok  " if r.failure is None else "FAIL"
        path = ", pre-patch path" if r.pre_patch else ""
        typer.echo(f"{verdict} {r.name} ({r.workflow_type}, {r.events} events{path})")
        if r.failure is not None:
            typer.echo(f"     {r.failure}")
    failed = sum(r.failure is not None for r in results)
    typer.echo(f"replayed {len(results)} histories: {len(results) - failed} ok, {failed} failed")
    if from_server:
        for line in replays.legacy_verdict(results[len(named) :], more, limit):
            typer.echo(line)
    if failed:
        raise typer.Exit(1)


async def _fetch_histories(
    query: str | None, workflow_ids: list[str], limit: int, save: Path | None
) -> tuple[list[tuple[str, WorkflowHistory]], bool] | str:
    """The histories from the server, and whether the query listed more than `limit`; or
    the error, as text: an exception kept alive past the event loop holds the Temporal
    client, whose runtime thread then crashes the interpreter's exit."""
    from temporalio.service import RPCError

    from nurture.cli import replay as replays
    from nurture.temporal import connect

    conf = _settings_or_exit()
    try:
        client = await connect(conf)
        fetched = await replays.from_server(client, query, workflow_ids, limit)
    except RPCError as err:
        return f"error: Temporal at {conf.temporal_address}: {err.message}"
    except RuntimeError as err:  # connection refused and the like
        return f"error: cannot reach Temporal at {conf.temporal_address}: {err}"
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        for history in fetched.histories:
            (save / f"{history.workflow_id}.json").write_text(history.to_json())
    return [(h.workflow_id, h) for h in fetched.histories], fetched.more


@app.command("import")
def import_leads(
    file: Path = typer.Argument(..., help="CSV: UTF-8 (BOM or not) or Shift_JIS, as Excel saves."),
    source: str = typer.Option(..., help="Campaign key the leads came from, e.g. expo-tokyo."),
    scenario: str = typer.Option("whitepaper", help="Scenario new leads join."),
    api_url: str = typer.Option("http://localhost:8000", "--api", help="The running API."),
    encoding: str | None = typer.Option(None, help="The file's encoding, when not guessed."),
    concurrency: int = typer.Option(
        2, min=1, max=32, help="Batches (of 100 rows) in flight; the API paces them."
    ),
    progress_every: float = typer.Option(
        10.0, min=0.5, help="Seconds between plain progress lines when stderr is not a terminal."
    ),
) -> None:
    """Import offline leads (trade shows, business cards) from a CSV through the running API.

    Rows that cannot be imported go to FILE.rejected.csv with the reason; exit code 1 then,
    2 when the file or the API cannot be used at all.
    """
    from nurture.cli import importer

    token = _settings_or_exit().admin_token.get_secret_value()
    raise typer.Exit(
        importer.run(
            file,
            source=source,
            scenario=scenario,
            api=api_url,
            token=token,
            encoding=encoding,
            concurrency=concurrency,
            log_every=progress_every,
        )
    )


@app.command()
def settings() -> None:
    """Print the effective settings (secrets masked)."""
    conf = _settings_or_exit()
    typer.echo(json.dumps(json.loads(conf.model_dump_json()), indent=2))


def main() -> None:
    app()
