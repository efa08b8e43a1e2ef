"""The held-leads benchmark's report: per-step readings, the cost per 1,000 held leads between
steps and over the whole run, read-model rows per lead, the probes at the smallest and the
largest size side by side, and the time a run to 50,000 would take at the rate measured."""

from __future__ import annotations

import itertools
import shlex
from collections.abc import Sequence
from typing import Any

PARTS = ("worker", "api", "temporal", "bench")
TARGET = 50_000
GOAL_MS = 250.0  # webhook -> score p99 at the largest size (issue 13, goal 5)


def command_line(argv: Sequence[str]) -> str:
    return shlex.join([".venv/bin/python", "bench/held.py", *argv])


def per_thousand(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    """MB per 1,000 more leads held, between two samples."""
    added = b["leads"] - a["leads"]
    if added <= 0:
        return {}
    out = {f"{k}_rss": (b["rss_mb"][k] - a["rss_mb"].get(k, 0.0)) for k in b["rss_mb"]}
    out["temporal_db"] = b["temporal_db_mb"] - a["temporal_db_mb"]
    out["read_model"] = b["read_model_mb"] - a["read_model_mb"]
    return {k: round(1000 * v / added, 2) for k, v in out.items()}


def summarise(samples: list[dict[str, Any]], steps: list[dict[str, Any]]) -> dict[str, Any]:
    first, last = samples[0], samples[-1]
    rows = last["read_model_rows"]
    held = max(last["leads"], 1)
    # the rate of the last step (start to idle), the one nearest the sizes still to come
    rate = steps[-1]["leads_per_s"] if steps else 0.0
    elapsed = sum(s["seconds"] for s in steps)
    remaining = max(0, TARGET - last["leads"])
    return {
        "held": last["leads"],
        "per_1000_overall": per_thousand(first, last),
        "per_1000_by_step": [
            {"from": a["leads"], "to": b["leads"], **per_thousand(a, b)}
            for a, b in itertools.pairwise(samples)
        ],
        "rows_per_lead": {t: round(n / held, 2) for t, n in sorted(rows.items()) if n},
        "last_step_leads_per_s": rate,
        "intake_seconds": round(elapsed, 1),
        "extrapolated_seconds_to_50000": (
            round(elapsed + remaining / rate, 0) if rate > 0 else None
        ),
    }


def print_report(result: dict[str, Any]) -> None:
    samples, steps, s = result["samples"], result["steps"], result["summary"]
    print()
    print(
        f"{'held':>7}{'step s':>8}{'leads/s':>8}{'worker':>9}{'api':>8}{'temporal':>10}"
        f"{'bench':>8}{'temporal db':>13}{'read model':>12}   (RSS and files in MB)"
    )
    by_size = {st["leads"]: st for st in steps}
    for sm in samples:
        st = by_size.get(sm["leads"], {})
        rss = sm["rss_mb"]
        print(
            f"{sm['leads']:>7}{st.get('seconds', 0):>8.0f}{st.get('leads_per_s', 0):>8.1f}"
            + "".join(f"{rss.get(p, 0):>{w}.0f}" for p, w in zip(PARTS, (9, 8, 10, 8), strict=True))
            + f"{sm['temporal_db_mb']:>13.1f}{sm['read_model_mb']:>12.1f}"
        )
    print()
    print("MB per 1,000 held leads:")
    for row in [*s["per_1000_by_step"], {"from": "all", "to": "", **s["per_1000_overall"]}]:
        span = f"{row['from']}..{row['to']}" if row["to"] != "" else "first..last"
        print(
            f"  {span:<14} worker {row.get('worker_rss', 0):6.1f}  api {row.get('api_rss', 0):6.1f}"
            f"  temporal {row.get('temporal_rss', 0):6.1f}  temporal db "
            f"{row.get('temporal_db', 0):6.1f}  read model {row.get('read_model', 0):6.1f}"
        )
    rows = ", ".join(f"{t} {n}" for t, n in s["rows_per_lead"].items())
    print(f"read-model rows per lead: {rows}")
    for probe in result["probes"]:
        lat = probe["latency"]
        words = [f"at {probe['held']} held"]
        for key, label in (
            ("post", "POST /v1/leads"),
            ("first_mail", "POST -> first mail"),
            ("score_visible", "webhook -> score"),
        ):
            d = lat.get(key, {})
            if d.get("n"):
                words.append(
                    f"{label} p50 {d['p50_ms']:.0f} / p99 {d['p99_ms']:.0f} ms (n={d['n']})"
                )
        print("  " + "; ".join(words))
    if len(result["probes"]) >= 2:
        for key, ratio in result["probe_ratios"].items():
            print(f"  largest / smallest size, {key} p99: {ratio:.2f}x")
    last = result["probes"][-1]["latency"] if result["probes"] else {}
    p99 = last.get("score_visible", {}).get("p99_ms")
    if p99 is not None:
        verdict = "met" if p99 < GOAL_MS else "not met"
        print(
            f"goal: webhook -> score p99 < {GOAL_MS:.0f} ms at {s['held']} held: "
            f"{p99:.0f} ms, {verdict}"
        )
    eta = s["extrapolated_seconds_to_50000"]
    if eta and s["held"] < TARGET:
        print(
            f"to {TARGET:,} at the last step's {s['last_step_leads_per_s']:.1f} leads/s: "
            f"about {eta / 60:.0f} min of intake in all"
        )


def probe_ratios(probes: list[dict[str, Any]]) -> dict[str, float]:
    """p99 at the largest size over p99 at the smallest, per probe."""
    if len(probes) < 2:
        return {}
    small, large = probes[0]["latency"], probes[-1]["latency"]
    out = {}
    for key in ("post", "first_mail", "score_visible"):
        a, b = small.get(key, {}).get("p99_ms"), large.get(key, {}).get("p99_ms")
        if a and b:
            out[key] = round(b / a, 2)
    return out
