"""The intake benchmark's report: the summary by path and its ratios to the reference, the
goal lines, the event and action counts, the tables on stdout and the README line."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from ingest_report import machine_words, noise_words, warn_if_noisy
from ingest_stats import mean
from intake_load import IntakePhase

GOAL_INTAKE_RATIO = 0.5  # API leads/s >= 0.5 x the reference
GOAL_WORKER_MS = 30.0  # worker CPU per lead to first mail
GOAL_EVENTS_TO_MAIL = 12
GOAL_ACTIONS_TO_ACK = 18
LABELS = {"ref": "reference (SDK)", "api": "POST /v1/leads", "import": "nurture import"}
PARTS = ("temporal", "worker", "api", "importer", "bench")


def command_line(argv: Sequence[str]) -> str:
    return shlex.join([".venv/bin/python", "bench/intake.py", *argv])


def cpu_of(phase: IntakePhase, settled: bool = False) -> dict[str, float]:
    """CPU ms per lead by part, `worker` being the worker that ran this phase's workflows."""
    per = phase.cpu_ms_per_lead_settled if settled else phase.cpu_ms_per_lead
    out = {p: per.get(p, 0.0) for p in ("temporal", "api", "importer", "bench", "other", "steal")}
    out["worker"] = per.get(phase.worker, 0.0)
    out["total"] = out["temporal"] + out["worker"] + out["api"] + out["importer"]
    return out


def summarise(phases: list[IntakePhase]) -> dict[str, Any]:
    kinds: dict[str, dict[str, Any]] = {}
    for kind in ("ref", "api", "import"):
        mine = [p for p in phases if p.kind == kind]
        if not mine:
            continue
        cpu = [cpu_of(p) for p in mine]
        settled = [cpu_of(p, settled=True) for p in mine]
        kinds[kind] = {
            "phases": len(mine),
            "leads_per_s": round(mean([p.leads_per_s for p in mine]), 2),
            "p50_ms": round(mean([float(p.first_mail_latency["p50_ms"]) for p in mine]), 1),
            "p99_ms": round(mean([float(p.first_mail_latency["p99_ms"]) for p in mine]), 1),
            "cpu_ms_per_lead": {k: round(mean([c[k] for c in cpu]), 2) for k in cpu[0]},
            "cpu_ms_per_lead_settled": {
                k: round(mean([c[k] for c in settled]), 2) for k in settled[0]
            },
        }
    ref = kinds.get("ref")
    if ref:
        for kind, s in kinds.items():
            if kind == "ref":
                continue
            c, rc = s["cpu_ms_per_lead"], ref["cpu_ms_per_lead"]
            s["ratio_to_ref"] = {
                "leads_per_s": round(s["leads_per_s"] / ref["leads_per_s"], 3),
                "p50": round(s["p50_ms"] / ref["p50_ms"], 2),
                "p99": round(s["p99_ms"] / ref["p99_ms"], 2),
                "worker_cpu": round(c["worker"] / max(rc["worker"], 1e-9), 2),
                "temporal_cpu": round(c["temporal"] / max(rc["temporal"], 1e-9), 2),
                "total_cpu": round(c["total"] / max(rc["total"], 1e-9), 2),
            }
    other = max(
        (p.cpu_percent.get("other", 0.0) + p.cpu_percent.get("steal", 0.0) for p in phases),
        default=0.0,
    )
    return {"by_path": kinds, "max_other_cpu_percent": other}


def goals(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's goals with the measured values: a report, never an assertion."""
    out: list[dict[str, Any]] = []
    paths = result["summary"]["by_path"]
    api = paths.get("api")
    if api and "ratio_to_ref" in api:
        ratio = api["ratio_to_ref"]["leads_per_s"]
        out.append(
            {
                "goal": f"API intake ≥ {GOAL_INTAKE_RATIO}× the reference",
                "measured": f"{api['leads_per_s']:.1f} leads/s = {ratio:.2f}× the reference "
                f"({paths['ref']['leads_per_s']:.1f} leads/s)",
                "pass": ratio >= GOAL_INTAKE_RATIO,
            }
        )
    for kind in ("api", "import"):
        if kind in paths:
            ms = paths[kind]["cpu_ms_per_lead"]["worker"]
            out.append(
                {
                    "goal": f"worker CPU ≤ {GOAL_WORKER_MS:.0f} ms per lead to first mail "
                    f"({LABELS[kind]})",
                    "measured": f"{ms:.1f} ms (reference worker "
                    f"{paths['ref']['cpu_ms_per_lead']['worker']:.1f} ms)"
                    if "ref" in paths
                    else f"{ms:.1f} ms",
                    "pass": ms <= GOAL_WORKER_MS,
                }
            )
    counts = result.get("counts")
    if counts:
        out.append(
            {
                "goal": f"≤ {GOAL_EVENTS_TO_MAIL} history events to the first mail",
                "measured": f"{counts['events_to_first_mail']} events",
                "pass": counts["events_to_first_mail"] <= GOAL_EVENTS_TO_MAIL,
            }
        )
        out.append(
            {
                "goal": f"≤ {GOAL_ACTIONS_TO_ACK} billable actions (lead + handoff) to the ack",
                "measured": f"{counts['billable_actions_to_ack']} actions",
                "pass": counts["billable_actions_to_ack"] <= GOAL_ACTIONS_TO_ACK,
            }
        )
    return out


def print_report(result: dict[str, Any]) -> None:
    summary = result["summary"]
    print()
    print(
        f"{'phase':<10}{'conc':>5}{'leads':>7}{'secs':>8}{'leads/s':>9}"
        f"{'mail p50':>11}{'mail p99':>11}{'start p50':>11}{'settle s':>9}"
    )
    for ph in result["phases"]:
        lat, req = ph["first_mail_latency"], ph["request_latency"]
        print(
            f"{ph['name']:<10}{ph['concurrency']:>5}{ph['leads']:>7}{ph['seconds']:>8.2f}"
            f"{ph['leads_per_s']:>9.2f}{lat['p50_ms']:>9.0f}ms{lat['p99_ms']:>9.0f}ms"
            f"{req['p50_ms']:>9.0f}ms{ph['settle_seconds']:>9.2f}"
        )
    print(
        "  (start p50: SDK start / POST answer; for import, the whole command. settle s: how "
        "long after the last mail + 0.5 s the read model still changed)"
    )
    print()
    cols = (*PARTS, "other", "steal")
    print(f"{'':<10}{'CPU ms per lead, start -> last first mail (worker = the phase own)':^63}")
    print(f"{'phase':<10}" + "".join(f"{p:>9}" for p in cols))
    for ph in result["phases"]:
        per = ph["cpu_ms_per_lead"]
        row = {**per, "worker": per.get(ph["worker"], 0.0)}
        print(f"{ph['name']:<10}" + "".join(f"{row.get(p, 0.0):>9.1f}" for p in cols))
    print()
    print(f"{'':<10}{'CPU % of one core, start -> last first mail':^63}")
    print(f"{'phase':<10}" + "".join(f"{p:>9}" for p in cols))
    for ph in result["phases"]:
        pct = ph["cpu_percent"]
        row = {**pct, "worker": pct.get(ph["worker"], 0.0)}
        print(f"{ph['name']:<10}" + "".join(f"{row.get(p, 0.0):>9.0f}" for p in cols))
    warn_if_noisy(summary)
    print()
    print(
        f"{'path':<18}{'leads/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'worker':>8}{'api':>7}"
        f"{'temporal':>9}{'importer':>9}{'total':>7}   ratios to the reference"
    )
    for kind, s in summary["by_path"].items():
        c = s["cpu_ms_per_lead"]
        r = s.get("ratio_to_ref")
        ratios = (
            f"   {r['leads_per_s']:.2f}× leads/s, p50 {r['p50']:.2f}×, p99 {r['p99']:.2f}×, "
            f"worker CPU {r['worker_cpu']:.1f}×, Temporal CPU {r['temporal_cpu']:.1f}×, "
            f"total CPU {r['total_cpu']:.1f}×"
            if r
            else "   1"
        )
        print(
            f"{LABELS[kind]:<18}{s['leads_per_s']:>9.2f}{s['p50_ms']:>9.0f}{s['p99_ms']:>9.0f}"
            f"{c['worker']:>8.1f}{c['api']:>7.1f}{c['temporal']:>9.1f}{c['importer']:>9.1f}"
            f"{c['total']:>7.1f}{ratios}"
        )
    print("  (CPU: ms per lead to first mail; after settling: ", end="")
    print(
        ", ".join(
            f"{LABELS[k]} worker {s['cpu_ms_per_lead_settled']['worker']:.1f} / "
            f"Temporal {s['cpu_ms_per_lead_settled']['temporal']:.1f}"
            for k, s in summary["by_path"].items()
        )
        + ")"
    )
    counts = result.get("counts")
    if counts:
        print()
        print(
            f"sample lead {counts['lead_workflow_id']}: {counts['events_to_first_mail']} "
            "history events to its first mail"
        )
        for kind, n in counts["events_to_first_mail_by_type"].items():
            print(f"  {n:>4}  {kind}")
        print(
            f"  at rest after it: {counts['events_at_rest_after_first_mail']} events; the "
            f"reference: {counts['reference_events_to_first_mail']} to its mail, "
            f"{counts['reference_events_at_rest']} asleep on its timer, "
            f"{counts['reference_billable_actions']} billable actions"
        )
        print(
            f"to the rep's ack: {counts['lead_events_to_ack']} lead + "
            f"{counts['handoff_events_to_ack']} handoff events; "
            f"{counts['billable_actions_to_ack']} billable actions"
        )
        for kind, n in counts["billable_actions_by_kind"].items():
            print(f"  {n:>4}  {kind}")
        print(f"  local activities ({counts['local_activity_markers_to_ack']} markers):")
        for kind, n in counts["local_activities_by_type"].items():
            print(f"  {n:>4}  {kind}")
        print("  events by type (lead + handoff):")
        for kind, n in counts["events_to_ack_by_type"].items():
            print(f"  {n:>4}  {kind}")
    print()
    for g in result["goals"]:
        print(f"goal: {g['goal']:<62} {g['measured']:<48} {'PASS' if g['pass'] else 'FAIL'}")
    print()
    print("README line:")
    print(result["markdown"])


def markdown_line(result: dict[str, Any]) -> str:
    m, s, c = result["machine"], result["summary"], result["config"]
    paths = s["by_path"]
    parts = []
    if "ref" in paths:
        ref = paths["ref"]
        parts.append(
            f"reference **{ref['leads_per_s']:.1f} leads/s**, p50 {ref['p50_ms']:.0f} ms, "
            f"worker {ref['cpu_ms_per_lead']['worker']:.1f} ms CPU/lead"
        )
    for kind in ("api", "import"):
        if kind in paths and "ratio_to_ref" in paths[kind]:
            p, r = paths[kind], paths[kind]["ratio_to_ref"]
            parts.append(
                f"{LABELS[kind]} **{p['leads_per_s']:.1f} leads/s = {r['leads_per_s']:.2f}× "
                f"the reference**, p50 {p['p50_ms']:.0f} ms / p99 {p['p99_ms']:.0f} ms, worker "
                f"**{p['cpu_ms_per_lead']['worker']:.0f} ms CPU/lead** "
                f"({r['worker_cpu']:.1f}×), Temporal {p['cpu_ms_per_lead']['temporal']:.0f} ms "
                f"({r['temporal_cpu']:.1f}×)"
            )
    counts = result.get("counts")
    if counts:
        parts.append(
            f"**{counts['events_to_first_mail']} events** to the first mail, "
            f"**{counts['billable_actions_to_ack']} billable actions** (lead + handoff) "
            "to the rep's ack"
        )
    machine, noisy = machine_words(m), noise_words(s)
    return (
        f"Intake, {result['date']} ({machine}; `{result['command']}`, {c['leads']} leads per "
        f"phase, {c['concurrency']} in flight){noisy}: " + "; ".join(parts) + "."
    )
