"""Intake benchmark: a new lead, from its start to its first mail, against the least any
lead needs, on the same server in the same run (issue 13, goals 1 and 2's measurement).

One Temporal dev server (in memory), `nurture worker`, `nurture api`, a reference worker
(`bench/intake_reference.py`, its own task queue), each a separate process, the SMTP sink
in this process and SQLite, as the ingest benchmark sets them up. The paths, with the same
leads in flight:

- (A) `ref`: a minimal workflow started through the SDK (`intake_reference_workflow`): one
  activity delivers a mail to the same sink, then it sleeps on a timer. Its worker has the
  SDK settings of nurture's, so its CPU is the floor a lead's first mail costs;
- (B) `api`: `POST /v1/leads` (admin token) for a new lead with a unique address, until its
  first mail is at the sink;
- (C) `import`: `nurture import` of a generated CSV of `--leads` rows, until every row's
  first mail is at the sink.

Phases run ref / api / import / import / api / ref (A B C C B A, so a linear drift of the
machine cancels out), each once the worker has settled after the one before. Reported per
phase and per path: leads/s, p50/p99 start -> first mail, CPU ms per lead of the worker
that ran it, the API, the Temporal server, the importer (from /proc and the reaped child's
rusage), and everything else on the machine; and for the paths, ratios to the reference.
Then one sample lead is taken to the rep's ack and its history events and billable actions
counted from `temporal workflow show -o json` (rules in `intake_history`). The goal lines
are a report, never an assertion.

    make bench-intake                       # = .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --quick   # about 40 s
    .venv/bin/python bench/intake.py --concurrency 8 --leads 200

Results: tables on stdout, a one-line markdown summary for the README, and JSON in
`bench/results/intake-<date>.json`. The modules: `intake_load` (paths, phases, the sink
watch), `intake_reference` / `intake_reference_workflow` (the reference), `intake_history`
(goal 2's counts), `intake_report`; the stack, HTTP client, CPU meter, statistics and
machine record are the ingest benchmark's (`ingest_*`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

from bench_main import run_bench
from ingest_machine import machine_info
from ingest_stack import BenchError, Stack, start_stack, wait_polling
from intake_history import count_sample_lead
from intake_load import KINDS, IntakeBench, IntakePhase
from intake_report import command_line, goals, markdown_line, print_report, summarise

from nurture.settings import DEFAULT_WORKFLOW_RUNNER, WorkflowRunnerKind

HERE = Path(__file__).resolve().parent


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--leads", type=int, default=200, help="new leads per phase (import: rows)")
    p.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="leads in flight, start to first mail (import: its --concurrency, at most 32)",
    )
    p.add_argument(
        "--order",
        default="ref,api,import,import,api,ref",
        help="phases in order (ref, api, import); the default cancels a linear drift",
    )
    p.add_argument("--warmup", type=int, default=20, help="unmeasured leads per path first")
    p.add_argument("--no-counts", action="store_true", help="skip goal 2's sample lead")
    p.add_argument(
        "--workflow-runner",
        choices=get_args(WorkflowRunnerKind),
        default=DEFAULT_WORKFLOW_RUNNER,
        help="nurture worker's NURTURE_WORKFLOW_RUNNER (the reference keeps the sandbox)",
    )
    p.add_argument("--quick", action="store_true", help="about 40 s: --leads 40 --warmup 8")
    p.add_argument("--max-seconds", type=float, default=1800.0, help="abort the run after this")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, SQLite)")
    p.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = p.parse_args(argv)
    if args.quick:
        args.leads, args.warmup = 40, 8
    phases = [x.strip() for x in args.order.split(",") if x.strip()]
    if not phases or any(x not in KINDS for x in phases):
        p.error("--order takes a comma-separated list of ref, api, import")
    if "ref" not in phases:
        p.error("--order needs ref (every ratio is to it)")
    args.phases = phases
    for name in ("leads", "concurrency"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    return args


async def run(args: argparse.Namespace, stack: Stack, argv: Sequence[str]) -> dict[str, Any]:
    started = datetime.now(UTC)
    stack.extra_env["NURTURE_WORKFLOW_RUNNER"] = args.workflow_runner
    print(
        f"starting Temporal dev server, worker, API and reference worker (logs in {stack.workdir})"
    )
    t0 = time.monotonic()
    client = await start_stack(stack)
    ref_queue = f"{stack.task_queue}-ref"
    ref = stack.start(
        "ref_worker", [sys.executable, str(HERE / "intake_reference.py"), "--task-queue", ref_queue]
    )
    await wait_polling(stack, client, ref, ref_queue)
    print(
        f"  up in {time.monotonic() - t0:.1f} s: Temporal {stack.temporal_address}, "
        f"API {stack.api_url}, SMTP sink {stack.sink.host}:{stack.sink.port}; pids "
        + ", ".join(f"{name} {pid}" for name, pid in stack.pids().items())
    )
    errors: list[str] = []
    counts: dict[str, Any] | None = None
    async with IntakeBench(args, stack, client, ref_queue) as bench:
        if args.warmup:
            print(f"warm-up: {args.warmup} leads by each path")
            for kind in dict.fromkeys(args.phases):
                await bench.phase(kind, args.warmup)
        phases: list[IntakePhase] = []
        seen: dict[str, int] = {}
        for kind in args.phases:
            seen[kind] = seen.get(kind, 0) + 1
            label = f"{kind}#{seen[kind]}" if args.phases.count(kind) > 1 else kind
            ph = await bench.phase(kind, args.leads, label=label)
            phases.append(ph)
            print(
                f"  {label:<9} {ph.leads} leads in {ph.seconds:.2f} s = {ph.leads_per_s:.1f} "
                f"leads/s, first mail p50 {ph.first_mail_latency['p50_ms']:.0f} ms "
                f"(settled {ph.settle_seconds:.1f} s later)"
            )
        if not args.no_counts:
            print("goal 2: one sample lead to its first mail, MQL, handoff and the rep's ack")
            try:
                counts = asdict(await count_sample_lead(bench, bench.last_reference))
            except BenchError as err:
                errors.append(f"counts: {err}")
                print(f"  error: {err}", file=sys.stderr)
    result: dict[str, Any] = {
        "benchmark": "intake",
        "date": started.date().isoformat(),
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started).total_seconds(), 1),
        "command": command_line(argv),
        "machine": machine_info(),
        "config": {
            "leads": args.leads,
            "concurrency": args.concurrency,
            "order": args.phases,
            "warmup": args.warmup,
            "scenario": "whitepaper (first mail at once: NURTURE_SEND_WINDOW=false)",
            "temporal": "dev server in memory (temporal server start-dev --headless)",
            "database": "SQLite file (temp dir)",
            "workflow_runner": args.workflow_runner,
        },
        "summary": summarise(phases),
        "phases": [asdict(p) for p in phases],
        "counts": counts,
        "errors": errors,
    }
    result["goals"] = goals(result)
    result["markdown"] = markdown_line(result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return run_bench(parse_args(argv), argv, run, print_report, "intake")


if __name__ == "__main__":
    sys.exit(main())
