"""Held-leads benchmark: what sleeping leads cost in memory and disk, and whether a large
held population slows a new lead or an event (issue 13, goal 5).

One Temporal dev server on a SQLite file (`--db-filename`, so its size can be read), one
`nurture worker`, one `nurture api`, the read model on SQLite and the SMTP sink in this
process (it keeps only the newest mails in memory and counts them all), as the ingest
benchmark sets them up. Leads are real nurture leads (`held_starters`): a stored row and its
LeadWorkflow, which sends the whitepaper scenario's first mail and sleeps on its two-day
timer. They arrive in steps (`--steps`, held leads in all), a bounded number in flight;
after each step, once every lead has its first mail and the read model is still, it reads
the resident memory of the worker, API and Temporal server (each process group, /proc), the
dev server's db file and the read model (each with its WAL), and the read model's rows.

At the smallest and the largest step (the baseline and the figure, same run), one at a
time: `--post-samples` new leads through `POST /v1/leads` (answer, and first mail), and
`--score-samples` signed +1 webhooks to leads spread over all those held, until the new
score shows. Reported: readings per step, MB per 1,000 held leads, read-model rows per
lead, the probes and their ratio, and the time a run to 50,000 would take at the rate of
the last step. The goal line (webhook -> score p99 < 250 ms) is a report, not an assertion.

    make bench-held                                      # = .venv/bin/python bench/held.py
    make bench-held HELD="--steps 1000,5000"
    .venv/bin/python bench/held.py --steps 1000,2500,5000 --concurrency 8 --starter direct

Results: tables on stdout and JSON in `bench/results/held-<date>.json`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from bench_main import run_bench
from held_latency import post_latency, webhook_score_latency
from held_probe import sample, wait_idle
from held_report import command_line, print_report, probe_ratios, summarise
from held_starters import STARTERS, lead_body, make_starter
from ingest_cpu import CpuMeter
from ingest_machine import machine_info
from ingest_stack import Stack, start_stack

KEEP_MAILS = 2000  # the sink's memory: the newest mails only (the probes look for theirs)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--steps",
        default="1000,5000,10000,25000,50000",
        help="held leads in all after each step, comma-separated, rising",
    )
    p.add_argument("--concurrency", type=int, default=8, help="lead starts in flight")
    p.add_argument("--starter", choices=STARTERS, default="api", help="how leads are started")
    p.add_argument("--post-samples", type=int, default=50, help="new leads, one at a time")
    p.add_argument("--score-samples", type=int, default=100, help="webhooks, one at a time")
    p.add_argument("--max-seconds", type=float, default=6 * 3600.0, help="abort after this")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, databases)")
    p.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = p.parse_args(argv)
    try:
        args.step_sizes = [int(x) for x in args.steps.split(",") if x.strip()]
    except ValueError:
        p.error("--steps takes comma-separated whole numbers, e.g. 1000,5000")
    sizes = args.step_sizes
    if not sizes or sizes[0] < 1 or any(b <= a for a, b in itertools.pairwise(sizes)):
        p.error("--steps must rise from at least 1, e.g. 1000,5000,10000")
    if args.concurrency < 1:
        p.error("--concurrency must be at least 1")
    return args


async def run(args: argparse.Namespace, stack: Stack, argv: Sequence[str]) -> dict[str, Any]:
    started = datetime.now(UTC)
    stack.temporal_db = stack.workdir / "temporal.db"
    print(f"starting Temporal dev server (file-backed), worker and API (logs in {stack.workdir})")
    t0 = time.monotonic()
    client = await start_stack(stack)
    print(f"  up in {time.monotonic() - t0:.1f} s; pids {stack.pids()}")
    tag = uuid.uuid4().hex[:8]
    starter = make_starter(args.starter, stack, client, args.concurrency)
    samples = [asdict(sample(stack, 0))]
    steps: list[dict[str, Any]] = []
    probes: list[dict[str, Any]] = []
    ids: list[str] = []
    held = 0
    try:
        for target in args.step_sizes:
            count = target - held
            bodies = [
                lead_body(f"held-{tag}-{held + i}@leads.example.com", held + i)
                for i in range(max(0, count))
            ]
            meter = CpuMeter(stack)
            before = meter.snapshot()
            t_step = time.monotonic()
            ids += await starter.start(bodies)
            accepted = time.monotonic() - t_step
            held += len(bodies)
            idle = await wait_idle(stack, held, timeout=max(300.0, len(bodies) / 2))
            seconds = time.monotonic() - t_step
            cpu = meter.used(before, meter.snapshot())
            steps.append(
                {
                    "leads": held,
                    "added": len(bodies),
                    "seconds": round(seconds, 1),
                    "accepted_seconds": round(accepted, 1),
                    "idle_after_s": round(idle, 1),
                    "leads_per_s": round(len(bodies) / seconds, 2) if bodies else 0.0,
                    "cpu_ms_per_lead": {
                        k: round(1000 * v / max(1, len(bodies)), 1) for k, v in cpu.items()
                    },
                }
            )
            samples.append(asdict(sample(stack, held)))
            st, sm = steps[-1], samples[-1]
            print(
                f"  {held:>6} held: +{len(bodies)} in {seconds:.0f} s ({st['leads_per_s']:.1f}/s); "
                f"RSS worker {sm['rss_mb']['worker']:.0f} MB, api {sm['rss_mb']['api']:.0f}, "
                f"temporal {sm['rss_mb']['temporal']:.0f}; temporal db "
                f"{sm['temporal_db_mb']:.1f} MB, read model {sm['read_model_mb']:.1f} MB; CPU ms "
                f"per lead worker {st['cpu_ms_per_lead'].get('worker', 0):.0f}, temporal "
                f"{st['cpu_ms_per_lead'].get('temporal', 0):.0f}, other "
                f"{st['cpu_ms_per_lead'].get('other', 0):.0f}"
            )
            if target in (args.step_sizes[0], args.step_sizes[-1]):
                probes.append(await probe(args, stack, client, tag, ids, held))
                held += args.post_samples  # the probe's new leads are held from now on
                await wait_idle(stack, held, timeout=300.0)
            # the figures so far, beside the logs: a long run that fails late keeps them
            partial = {"samples": samples, "steps": steps, "probes": probes}
            (stack.workdir / "held-partial.json").write_text(json.dumps(partial, indent=2))
    finally:
        await starter.close()
    result: dict[str, Any] = {
        "benchmark": "held",
        "date": started.date().isoformat(),
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started).total_seconds(), 1),
        "command": command_line(argv),
        "machine": machine_info(),
        "config": {
            "steps": args.step_sizes,
            "concurrency": args.concurrency,
            "starter": args.starter,
            "post_samples": args.post_samples,
            "score_samples": args.score_samples,
            "scenario": "whitepaper (first mail at once, then a 2-day timer)",
            "temporal": "dev server on a SQLite file (temporal server start-dev --db-filename)",
            "database": "SQLite file (temp dir)",
            "sink_keeps": KEEP_MAILS,
        },
        "samples": samples,
        "steps": steps,
        "probes": probes,
        "errors": [],
    }
    result["summary"] = summarise(samples, steps)
    result["probe_ratios"] = probe_ratios(probes)
    return result


async def probe(
    args: argparse.Namespace, stack: Stack, client: Any, tag: str, ids: list[str], held: int
) -> dict[str, Any]:
    print(f"  probes at {held} held: {args.post_samples} POSTs, {args.score_samples} webhooks")
    latency: dict[str, Any] = {}
    if args.post_samples:
        latency.update(await post_latency(stack, f"{tag}-{held}", args.post_samples))
    if args.score_samples:
        latency.update(await webhook_score_latency(stack, client, ids, args.score_samples))
    return {"held": held, "latency": latency}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return run_bench(parse_args(argv), argv, run, print_report, "held", keep_mails=KEEP_MAILS)


if __name__ == "__main__":
    sys.exit(main())
