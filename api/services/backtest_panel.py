"""The newest saved backtest, worded for the dashboard's scoring panel: the figures side
by side as the command prints them, what changes, and the rules with a proposal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from nurture.repo import backtest_data
from nurture.rules.backtest_report import ROWS, SCHEMA, cell, entered, lift_text
from scenarios.sla import SLA

ZONE = SLA.calendar.zone
COMMAND = "nurture scoring backtest scenarios/scoring_candidate.py"


@dataclass(frozen=True)
class Proposal:
    label: str
    change: str  # "raise 20 → 30"
    why: str  # "won lift 4.00 (1.37–11.70), 20 with, 40 without"


@dataclass(frozen=True)
class BacktestPanel:
    candidate: str
    at: str  # when it ran, in the business zone
    leads: str  # "1,234 leads entered 2026-09-01 to 2026-09-30"
    rows: list[tuple[str, str, str, str]]  # label, recorded, live model, candidate
    newly_mql: int
    no_longer_mql: int
    live_off: int  # leads the live model scores or decides otherwise than recorded
    proposals: list[Proposal]
    undecided: int  # rules the data cannot speak for yet
    unreadable: bool = False  # saved by another version of nurture: nothing else is shown


def panel(session: Session) -> BacktestPanel | None:
    run = backtest_data.last_run(session)
    if run is None:
        return None
    report: dict[str, Any] = run.result
    at = f"{run.at.astimezone(ZONE):%Y-%m-%d %H:%M} ({ZONE.key})"
    if report.get("schema") != SCHEMA:  # never a broken dashboard over an old saved run
        return BacktestPanel(run.candidate, at, "", [], 0, 0, 0, [], 0, unreadable=True)
    figures = report["figures"]
    proposals = []
    for rule in report["rules"]:
        if rule["verdict"] not in ("raise", "lower", "remove"):
            continue
        basis = rule[f"{rule['basis']}_lift"]
        proposals.append(
            Proposal(
                label=rule["label"],
                change=f"{rule['verdict']} {rule['points']} → {rule['suggested_points']}",
                why=f"{rule['basis']} lift {lift_text(basis)}, "
                f"{rule['leads_with']} with, {rule['leads_without']} without",
            )
        )
    return BacktestPanel(
        candidate=run.candidate,
        at=at,
        leads=f"{report['leads']:,} leads {entered(report)}",
        rows=[
            (
                label,
                cell(figures["recorded"][key], kind),
                cell(figures["live"][key], kind),
                cell(figures["candidate"][key], kind),
            )
            for label, key, kind in ROWS
        ],
        newly_mql=len(report["newly_mql"]),
        no_longer_mql=len(report["no_longer_mql"]),
        live_off=len(
            set(report["live_not_as_recorded"]) | set(report.get("live_unlike_record", []))
        ),
        proposals=proposals,
        undecided=sum(r["verdict"] == "not enough data" for r in report["rules"]),
    )
