"""A backtest's result as data (what `--json` prints and the dashboard shows) and the
words both use for its figures."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from nurture.rules.backtest import Backtest
from nurture.rules.scoring_suggest import Lift, RuleProposal

SCHEMA = 1  # the saved report's shape: the dashboard reads only the shape it knows


def _ids(ids: tuple[uuid.UUID, ...]) -> list[str]:
    return [str(i) for i in ids]


def _lift(value: Lift | None) -> dict[str, Any] | None:
    return asdict(value) if value else None


def as_dict(
    candidate: str,
    live: str,
    start: datetime | None,
    end: datetime | None,
    result: Backtest,
    proposed: list[RuleProposal],
) -> dict[str, Any]:
    """The whole result as JSON data: what --json prints and what the dashboard shows."""
    return {
        "schema": SCHEMA,
        "candidate": candidate,
        "live": live,
        "from": start.date().isoformat() if start else None,
        "to": end.date().isoformat() if end else None,
        "leads": result.live.leads,
        "figures": {
            "recorded": asdict(result.recorded),
            "live": asdict(result.live),
            "candidate": asdict(result.candidate),
            # (added later, like account_mqls: readers say .get)
            "recorded_by_score": asdict(result.recorded_by_score)
            if result.recorded_by_score is not None
            else None,
        },
        "live_as_recorded": result.live_as_recorded,
        "live_compared": result.live_compared,
        "live_not_as_recorded": _ids(result.live_not_as_recorded),
        "live_unlike_record": _ids(result.live_unlike_record),
        "account_mqls": result.account_mqls,  # (added later: readers say .get(..., 0))
        "newly_mql": _ids(result.newly_mql),
        "no_longer_mql": _ids(result.no_longer_mql),
        "rules": [
            {
                "rule": p.rule,
                "label": p.label,
                "points": p.points,
                "leads_with": p.leads_with,
                "leads_without": p.leads_without,
                "opportunity_lift": _lift(p.opportunity),
                "won_lift": _lift(p.won),
                "basis": p.basis,
                "verdict": p.verdict,
                "suggested_points": p.suggested_points,
            }
            for p in proposed
        ],
    }


def entered(report: dict[str, Any]) -> str:
    """Which leads the report is over, as the command and the dashboard say it."""
    if report.get("from") or report.get("to"):
        return f"entered {report.get('from') or 'from the first'} to {report.get('to') or 'today'}"
    return "recorded, all of them"


ROWS: tuple[tuple[str, str, str], ...] = (
    ("MQLs", "mqls", "count"),
    ("MQL rate", "mql_rate", "pct"),
    ("Median days to MQL", "median_days_to_mql", "days"),
    ("Precision: opportunity", "precision_opportunity", "pct"),
    ("Precision: won", "precision_won", "pct"),
    ("Recall: won", "recall_won", "pct"),
    ("Recall: opportunity", "recall_opportunity", "pct"),
    ("Won deals: days earlier", "median_days_earlier", "days"),
    ("Only after sales had it", "after_sales", "count"),
)


def cell(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "days":
        return f"{value:.1f}"
    return f"{value:,}"


def lift_text(value: dict[str, Any] | None) -> str:
    if not value:
        return "–"
    return f"{value['ratio']:.2f} ({value['low']:.2f}–{value['high']:.2f})"
