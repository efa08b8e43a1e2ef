"""`nurture scoring backtest CANDIDATE`: a scoring model change tried on the past first.

Every recorded lead is replayed from the read model through the live model and the
candidate (nurture.rules.backtest), without touching a workflow; the figures print side
by side with what really happened, with the leads whose decision changes and a proposal
per rule from the sales outcomes (nurture.rules.scoring_suggest). Each run is saved for
the dashboard's scoring panel unless `--no-save`.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from nurture.authoring import ScoringModel
from nurture.db import create_schema, make_engine, session_scope
from nurture.repo import backtest_data, kpi_sales
from nurture.rules.backtest import LeadPast, ModelFailed, backtest
from nurture.rules.backtest_report import ROWS, as_dict, cell, entered, lift_text
from nurture.rules.business_time import day_span
from nurture.rules.scoring_suggest import MIN_HITS, MIN_LEADS, proposals
from nurture.settings import get_settings
from scenarios.scoring import MODEL, email_kind
from scenarios.sla import SLA

app = typer.Typer(help="The scoring model: try a change on the past first.", no_args_is_help=True)
LIVE = "scenarios.scoring"
SHOWN_IDS = 20
ZONE = SLA.calendar.zone  # the business days --from and --to mean, as on the dashboard


class CandidateError(Exception):
    """A candidate that cannot be loaded, with what to do about it."""


def load_candidate(name: str) -> ScoringModel:
    """The MODEL of `name`: a module path (scenarios.scoring_v2) or a .py file."""
    module: ModuleType
    path = Path(name)
    try:
        if name.endswith(".py"):
            if not path.is_file():
                raise CandidateError(f"no file {name}")
            spec = importlib.util.spec_from_file_location(f"_candidate_{path.stem}", path)
            if spec is None or spec.loader is None:
                raise CandidateError(f"{name} is not a Python module")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(name)
    except CandidateError:
        raise
    except ModuleNotFoundError as err:
        raise CandidateError(
            f"no module {name!r} ({err}): give a module path such as scenarios.scoring_v2, "
            "or a .py file"
        ) from None
    except Exception as err:  # the candidate's own code failed: say where
        raise CandidateError(f"{name} failed to load: {type(err).__name__}: {err}") from None
    model = getattr(module, "MODEL", None)
    if not isinstance(model, ScoringModel):
        raise CandidateError(
            f"{name} has no MODEL that is a ScoringModel (define one as scenarios/scoring.py does)"
        )
    return model


@app.command("backtest")
def backtest_command(
    candidate: str = typer.Argument(
        ..., help="The candidate model: a module path (scenarios.scoring_v2) or a .py file."
    ),
    start: datetime | None = typer.Option(
        None, "--from", formats=["%Y-%m-%d"], help="First day leads entered (business zone)."
    ),
    end: datetime | None = typer.Option(
        None, "--to", formats=["%Y-%m-%d"], help="Last day leads entered (business zone)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    save: bool = typer.Option(True, help="Save the result for the dashboard's scoring panel."),
) -> None:
    """Replay every recorded lead through the live model and CANDIDATE, side by side with
    what really happened: MQLs, MQL rate, days to MQL, precision, recall, the leads whose
    decision changes (ids only), and a proposal per rule from the sales outcomes."""
    if start and end and end < start:
        typer.echo("error: --to is before --from", err=True)
        raise typer.Exit(2)
    try:
        model = load_candidate(candidate)
    except CandidateError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    engine = make_engine(get_settings().database_url)
    try:
        report = _run(engine, candidate, model, start, end, save)
    except ModelFailed as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    except OperationalError as err:
        first = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        typer.echo(f"error: the database cannot be read (NURTURE_DATABASE_URL): {first}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    if as_json:
        import json

        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    for line in text(report):
        typer.echo(line)
    if save:
        typer.echo("Saved: the dashboard's scoring panel shows this backtest.")


def _run(
    engine: Engine,
    candidate: str,
    model: ScoringModel,
    start: datetime | None,
    end: datetime | None,
    save: bool,
) -> dict[str, Any]:
    """The backtest of the leads that entered from `start` to `end`, each replayed up to
    now (what happened after `end` to a lead that entered before it counts too, as its
    sales outcome does)."""
    low, high = day_span(start.date() if start else None, end.date() if end else None, ZONE)
    create_schema(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        result = backtest(_read(session, low, high), MODEL, model, until=now)
        history = kpi_sales.scoring_history(session, low, high)
        rules = [(r.key, r.points) for r in MODEL.attribute_rules]
        rules += [(r.key, r.points) for r in MODEL.behaviour_rules]
        proposed = proposals(history, rules, MODEL.label)
        report = as_dict(candidate, LIVE, start, end, result, proposed)
        report["until"] = now.isoformat(timespec="seconds")
        if save:
            backtest_data.save_run(session, candidate, report)
    return report


def _read(session: Any, low: datetime | None, high: datetime | None) -> Iterator[LeadPast]:
    """The leads a chunk at a time, with a progress bar on a terminal."""
    total = backtest_data.count_leads(session, low, high)
    console = Console(stderr=True)
    with Progress(console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task("leads replayed", total=total)
        for chunk in backtest_data.lead_pasts(session, low, high, email_kind):
            yield from chunk
            progress.advance(task, len(chunk))


COLUMNS = ("recorded", "live", "candidate")  # (figures also has recorded_by_score)


def text(report: dict[str, Any]) -> list[str]:
    """The report as a person reads it in a terminal."""
    figures = report["figures"]
    lines = [
        f"Backtest of {report['candidate']} against the live model ({report['live']})",
        f"{report['leads']:,} leads {entered(report)}; each replayed from its record.",
        "",
        f"{'':26}{'recorded':>12}{'live model':>12}{'candidate':>12}",
    ]
    for label, key, kind in ROWS:
        cells = "".join(f"{cell(figures[c][key], kind):>12}" for c in COLUMNS)
        lines.append(f"{label:26}{cells}")
    lines += [
        "",
        "Precision: MQLs that became an opportunity or a won deal. Recall: of the "
        f"{figures['recorded']['won_leads']} won deals",
        "(and opportunities), those the model makes MQLs; days earlier: how much sooner "
        "than really, the median.",
        "Only after sales had it: leads a model would qualify only once they really were "
        "with sales, on behaviour sales may have caused: no MQL, no credit.",
        f"The live model gives back the recorded points of {report['live_as_recorded']:,} of "
        f"the {report['live_compared']:,} leads with events before their MQL"
        + _not_as_recorded(report),
        *_unlike_record(report),
        "",
        f"Decisions that change: {len(report['newly_mql'])} leads become MQLs, "
        f"{len(report['no_longer_mql'])} no longer would.",
    ]
    for title, key in (("become MQLs", "newly_mql"), ("no longer MQLs", "no_longer_mql")):
        ids = report[key]
        if ids:
            lines.append(f"  {title}: {_listed(ids)}")
    lines += ["", *proposal_lines(report["rules"])]
    return lines


def _listed(ids: list[str]) -> str:
    more = ""
    if len(ids) > SHOWN_IDS:
        more = f" (and {len(ids) - SHOWN_IDS} more: --json lists all)"
    return ", ".join(ids[:SHOWN_IDS]) + more


def _not_as_recorded(report: dict[str, Any]) -> str:
    off = report["live_not_as_recorded"]
    if not off:
        return "."
    return (
        f"; {len(off)} got other points than recorded (scored by an earlier model, or "
        f"before nurture kept profile history): {_listed(off)}"
    )


def _unlike_record(report: dict[str, Any]) -> list[str]:
    off = report["live_unlike_record"]
    by_account = report.get("account_mqls", 0)
    lines = []
    if by_account:
        lines.append(
            f"{by_account} recorded MQLs came from an account's buying group (an account "
            "handoff): counted as they happened, not in this check (no lead's model decides "
            "them), and neither model is credited with them."
        )
    if not off:
        return lines
    return [
        *lines,
        f"The live model decides {len(off)} leads otherwise than really happened (MQL or "
        f"not, or more than an hour apart: an earlier model, a lead qualified by hand, or a "
        f"profile from before nurture kept profile history): {_listed(off)}",
    ]


def proposal_lines(rules: list[dict[str, Any]]) -> list[str]:
    """The per-rule proposals: lift against opportunity and won, 95% CI, the change."""
    lines = [
        "Scoring rules against what sales decided (leads handed to sales; lift, 95% CI).",
        f"A proposal needs {MIN_LEADS} leads with the rule and {MIN_LEADS} without, and "
        f"{MIN_HITS} won deals (else opportunities) in all; it is a change to review, not a fit.",
        f"{'rule':36}{'points':>7}{'with/without':>14}  {'opportunity lift':<20}"
        f"{'won lift':<20}proposal",
    ]
    for r in rules:
        if r["verdict"] in ("raise", "lower", "remove"):
            proposal = f"{r['verdict']} {r['points']} → {r['suggested_points']} (by {r['basis']})"
        else:
            proposal = r["verdict"]
        sample = f"{r['leads_with']}/{r['leads_without']}"
        lines.append(
            f"{r['label'][:35]:36}{r['points']:>7}{sample:>14}  "
            f"{lift_text(r['opportunity_lift']):<20}{lift_text(r['won_lift']):<20}{proposal}"
        )
    return lines
