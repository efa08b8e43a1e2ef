"""One ingest benchmark run on a started stack: leads, warm-up, the rate phases in order,
the latency probes, and the result as it is printed and written to JSON."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from ingest_latency import mql_latency, score_latency
from ingest_load import RATE_EVENT, Bench, PhaseResult
from ingest_machine import machine_info
from ingest_report import command_line, markdown_line, summarise
from ingest_stack import BenchError, Stack, start_stack
from ingest_stats import distribution


async def run(args: argparse.Namespace, stack: Stack, argv: Sequence[str]) -> dict[str, Any]:
    started = datetime.now(UTC)
    print(f"starting Temporal dev server, worker and API (logs in {stack.workdir})")
    t0 = time.monotonic()
    client = await start_stack(stack)
    print(
        f"  up in {time.monotonic() - t0:.1f} s: Temporal {stack.temporal_address}, "
        f"API {stack.api_url}, SMTP sink {stack.sink.host}:{stack.sink.port}; pids "
        + ", ".join(f"{name} {pid}" for name, pid in stack.pids().items())
    )
    bench = Bench(args, stack, client)
    try:
        await bench.create_leads()
        if args.warmup:
            print(f"warm-up: {args.warmup} events raw, through the API, and batched")
            for kind in ("raw", "api", "batch"):
                await bench.rate_phase(kind, args.warmup)
        phases: list[PhaseResult] = []
        counts: dict[str, int] = {}
        for kind in args.phases:
            counts[kind] = counts.get(kind, 0) + 1
            label = f"{kind}#{counts[kind]}" if args.phases.count(kind) > 1 else kind
            ph = await bench.rate_phase(kind, args.events, label=label)
            phases.append(ph)
            print(
                f"  {label:<8} {ph.events} events in {ph.seconds:.2f} s = "
                f"{ph.events_per_s:.0f} events/s (worker caught up {ph.drain_seconds:.2f} s "
                "later)"
            )
        latency: dict[str, Any] = {}
        errors: list[str] = []  # a failed latency part is reported, the rates are kept
        if args.latency_samples:
            print(f"latency: {args.latency_samples} events, one at a time, until the score shows")
            try:
                for key, values in (await score_latency(bench, args.latency_samples)).items():
                    latency[key] = distribution(values)
            except BenchError as err:
                errors.append(f"webhook -> score: {err}")
        if args.mql_samples:
            print(f"latency: {args.mql_samples} threshold-crossing events until the rep's mail")
            try:
                latency["rep_mail"] = distribution(await mql_latency(bench))
            except BenchError as err:
                errors.append(f"threshold -> rep mail: {err}")
        for error in errors:
            print(f"  error: {error}", file=sys.stderr)
    finally:
        await bench.close()
    result: dict[str, Any] = {
        "benchmark": "ingest",
        "date": started.date().isoformat(),
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started).total_seconds(), 1),
        "command": command_line(argv),
        "machine": machine_info(),
        "config": {
            "leads": args.leads,
            "events": args.events,
            "concurrency": args.concurrency,
            "batch_size": args.batch_size,
            "batch_concurrency": args.batch_concurrency,
            "order": args.phases,
            "warmup": args.warmup,
            "rate_event": RATE_EVENT.value,
            "latency_samples": args.latency_samples,
            "mql_samples": args.mql_samples,
            "poll_interval_ms": args.poll_interval_ms,
            "temporal": "dev server in memory (temporal server start-dev --headless)",
            "database": "SQLite file (temp dir)",
        },
        "summary": summarise(phases),
        "phases": [asdict(p) for p in phases],
        "latency": latency,
        "errors": errors,
    }
    result["markdown"] = markdown_line(result)
    return result
