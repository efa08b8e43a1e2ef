"""The ingest benchmark's report: the summary of the phases, the tables on stdout and the
one-line markdown figure for the README."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import Any

from ingest_load import PhaseResult
from ingest_stats import mean

GOAL_RATIO = 0.9
NOISY_OTHER_PERCENT = 15  # % of one core used by other processes that makes a run noisy


def warn_if_noisy(summary: dict[str, Any]) -> None:
    """Say so when other processes took enough CPU to make the rates noisy."""
    if summary["max_other_cpu_percent"] > NOISY_OTHER_PERCENT:
        print(
            f"warning: other processes (or the hypervisor) took up to "
            f"{summary['max_other_cpu_percent']:.0f}% of a core during a phase; the rates are noisy"
        )


def machine_words(m: dict[str, Any]) -> str:
    """The machine and versions as the README's result lines name them."""
    cli = re.search(r"(\d+\.\d+\.\d+) \(Server (\d+\.\d+\.\d+)", m["temporal_cli"])
    server = f"Temporal CLI {cli[1]} (server {cli[2]})" if cli else "Temporal CLI"
    return (
        f"{m['nproc']} vCPU {m['cpu_model'] or ''}, Python {m['python']}, "
        f"temporalio {m['temporalio']}, {server} dev server in memory, SQLite"
    )


def noise_words(summary: dict[str, Any]) -> str:
    """ " (noisy: ...)" for a result line when other processes took CPU, else ""."""
    if summary["max_other_cpu_percent"] <= NOISY_OTHER_PERCENT:
        return ""
    return f" (noisy: other processes took up to {summary['max_other_cpu_percent']:.0f}% of a core)"


def command_line(argv: Sequence[str]) -> str:
    return shlex.join([".venv/bin/python", "bench/ingest.py", *argv])


def summarise(phases: list[PhaseResult]) -> dict[str, Any]:
    by_kind: dict[str, list[float]] = {}
    for ph in phases:
        by_kind.setdefault(ph.kind, []).append(ph.events_per_s)
    raw = mean(by_kind.get("raw", []))
    out: dict[str, Any] = {
        "raw_events_per_s": round(raw, 1),
        "max_other_cpu_percent": max(
            p.cpu_percent_sending.get("other", 0.0) + p.cpu_percent_sending.get("steal", 0.0)
            for p in phases
        ),
        "applied_events_per_s": round(mean([p.applied_per_s for p in phases]), 1),
    }
    for kind in ("api", "batch"):
        if kind in by_kind:
            rate = mean(by_kind[kind])
            out[f"{kind}_events_per_s"] = round(rate, 1)
            out[f"{kind}_ratio"] = round(rate / raw, 3)
    return out


def print_report(result: dict[str, Any]) -> None:
    args, summary = result["config"], result["summary"]
    parts = ("bench", "temporal", "worker", "api", "other", "steal")
    print()
    print(
        f"{'phase':<9}{'conc':>5}{'in flight':>10}{'events':>7}{'reqs':>6}{'secs':>7}{'ev/s':>7}"
        f"{'req p50':>10}{'req p99':>10}{'drain s':>8}{'applied/s':>10}"
    )
    for ph in result["phases"]:
        lat = ph["request_latency"]
        print(
            f"{ph['name']:<9}{ph['concurrency']:>5}{ph['in_flight_events']:>10}{ph['events']:>7}"
            f"{ph['requests']:>6}{ph['seconds']:>7.2f}{ph['events_per_s']:>7.0f}"
            f"{lat['p50_ms']:>8.1f}ms{lat['p99_ms']:>8.1f}ms"
            f"{ph['drain_seconds']:>8.2f}{ph['applied_per_s']:>10.0f}"
        )
    print()
    print(
        f"{'':<9}{'CPU % of one core while sending':^45}"
        f"  {'CPU ms per event (sending + drain)':^45}"
    )
    print(
        f"{'phase':<9}"
        + "".join(f"{p:>9}" for p in parts)
        + "  "
        + "".join(f"{p:>9}" for p in parts)
    )
    for ph in result["phases"]:
        pct, per = ph["cpu_percent_sending"], ph["cpu_ms_per_event"]
        print(
            f"{ph['name']:<9}"
            + "".join(f"{pct.get(p, 0):>9.0f}" for p in parts)
            + "  "
            + "".join(f"{per.get(p, 0):>9.2f}" for p in parts)
        )
    warn_if_noisy(summary)
    print()
    raw = summary["raw_events_per_s"]
    print(f"raw signal-with-start     {raw:8.0f} events/s   ({args['concurrency']} in flight)")
    for kind, label in (
        ("api", "API, 1 event/request"),
        ("batch", f"API, {args['batch_size']}/request"),
    ):
        if f"{kind}_events_per_s" in summary:
            ratio = summary[f"{kind}_ratio"]
            verdict = "meets" if ratio >= GOAL_RATIO else "below"
            print(
                f"{label:<26}{summary[f'{kind}_events_per_s']:8.0f} events/s   "
                f"{ratio:.2f} x raw ({verdict} the {GOAL_RATIO} goal)"
            )
    for key, label in (
        ("score_visible", "webhook -> score visible"),
        ("webhook_ack", "webhook -> 202"),
        ("lead_get", "GET /v1/leads/{id}"),
        ("rep_mail", "threshold -> rep mail"),
    ):
        d = result["latency"].get(key)
        if d and d.get("n"):
            print(
                f"{label:<26}p50 {d['p50_ms']:7.1f} ms  p90 {d['p90_ms']:7.1f} ms  "
                f"p99 {d['p99_ms']:7.1f} ms  max {d['max_ms']:7.1f} ms  (n={d['n']})"
            )
    print()
    print("README line:")
    print(result["markdown"])


def markdown_line(result: dict[str, Any]) -> str:
    m, s, c, lat = result["machine"], result["summary"], result["config"], result["latency"]
    parts = [f"raw signal-with-start **{s['raw_events_per_s']:.0f} events/s**"]
    if "api_events_per_s" in s:
        parts.append(
            f"API 1 event/request **{s['api_events_per_s']:.0f}/s = {s['api_ratio']:.2f}× raw**"
        )
    if "batch_events_per_s" in s:
        parts.append(
            f"API {c['batch_size']} events/request **{s['batch_events_per_s']:.0f}/s = "
            f"{s['batch_ratio']:.2f}× raw**"
        )
    parts[-1] += (
        f" (~{c['concurrency']} events in flight; the worker applies "
        f"~{s['applied_events_per_s']:.0f} events/s end to end)"
    )
    sv, rm = lat.get("score_visible", {}), lat.get("rep_mail", {})
    if sv.get("n"):
        parts.append(
            f"webhook→score visible p50 **{sv['p50_ms']:.0f} ms** / p99 {sv['p99_ms']:.0f} ms "
            f"(n={sv['n']})"
        )
    if rm.get("n"):
        parts.append(
            f"threshold→rep mail p50 **{rm['p50_ms']:.0f} ms** / p99 {rm['p99_ms']:.0f} ms "
            f"(n={rm['n']})"
        )
    machine, noisy = machine_words(m), noise_words(s)
    return (
        f"Ingest, {result['date']} ({machine}; `{result['command']}`, "
        f"{c['events']} events per phase){noisy}: " + "; ".join(parts) + "."
    )
