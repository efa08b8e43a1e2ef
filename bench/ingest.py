"""Ingest benchmark: behaviour events through the API versus raw Temporal signal-with-start.

One run, one Temporal dev server (in memory), everything on loopback:

1. raw rate: events/s of `client.start_workflow(..., start_signal=BEHAVIOUR_SIGNAL)` from
   this process straight to the lead workflows (the call
   `nurture.orchestration.lead_runs.deliver_event` makes per event), with a fixed number of
   events in flight;
2. API rate: events/s through signed `POST /v1/events` to the same workflows, one event per
   request and in batches, with about as many events in flight; the ratio API/raw for each
   (the product goal is >= 0.9);
3. latency: webhook -> score visible in `GET /v1/leads/{id}`, and the event crossing the
   MQL threshold -> the rep's notification arriving at the SMTP sink.

The Temporal dev server, the worker (`nurture worker`) and the API (`nurture api`) run as
separate processes so this client, the worker and the API do not share one GIL; the SMTP
sink runs in this process. Phases run raw / API / batched / batched / API / raw, so a drift
of the machine cancels out, and each starts only once the worker has applied every event
of the one before (the read model's `lead_event` count), so no phase pays for another's
backlog. The CPU each process used is reported per phase, and so is the CPU of everything
else on the machine: a busy neighbour makes the rates noisy, and the report says so.

Keep the events in flight equal when comparing: with 1,600 events in flight (32 requests
of 50) the server outruns the starved worker and ingests faster than with 50, whichever
path sends them.

    make bench                       # = .venv/bin/python bench/ingest.py
    .venv/bin/python bench/ingest.py --events 1000 --latency-samples 50 --mql-samples 5

Results: tables on stdout, a one-line markdown summary for the README, and JSON in
`bench/results/ingest-<date>.json`.

The parts, one module each beside this entry point: `ingest_stack` (the processes),
`ingest_http` (a lean HTTP/1.1 client), `ingest_load` (leads and rate phases),
`ingest_latency` (the latency probes), `ingest_cpu` (CPU from /proc), `ingest_read_model`
(how far the worker got), `ingest_stats`, `ingest_machine`, `ingest_report` and
`ingest_run` (one run, start to result); `bench_main` (a run's life on a fresh stack, shared
with `intake.py`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bench_main import run_bench
from ingest_report import print_report
from ingest_run import run


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--leads", type=int, default=200, help="cold leads the rate phases spread over")
    p.add_argument("--events", type=int, default=2500, help="events per rate phase")
    p.add_argument(
        "--concurrency", type=int, default=50, help="events in flight (raw calls, API requests)"
    )
    p.add_argument("--batch-size", type=int, default=50, help="events per batched API request")
    p.add_argument(
        "--batch-concurrency",
        type=int,
        default=None,
        help="batched requests in flight (default: --concurrency / --batch-size, at least 1, "
        "so that about as many events are in flight as in the other phases)",
    )
    p.add_argument(
        "--order",
        default="raw,api,batch,batch,api,raw",
        help="rate phases in order (raw, api = one event per request, batch); the default "
        "ABCCBA order cancels a linear drift of the machine",
    )
    p.add_argument("--warmup", type=int, default=300, help="unmeasured events per path first")
    p.add_argument("--latency-samples", type=int, default=200, help="webhook -> score samples")
    p.add_argument("--mql-samples", type=int, default=20, help="threshold -> rep mail samples")
    p.add_argument("--poll-interval-ms", type=float, default=2.0, help="GET poll pause")
    p.add_argument("--max-seconds", type=float, default=900.0, help="abort the run after this")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, SQLite)")
    p.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = p.parse_args(argv)
    phases = [x.strip() for x in args.order.split(",") if x.strip()]
    if not phases or any(x not in ("raw", "api", "batch") for x in phases):
        p.error("--order takes a comma-separated list of raw, api, batch")
    if "raw" not in phases or not ({"api", "batch"} & set(phases)):
        p.error("--order needs raw and at least one of api, batch (the ratio needs both)")
    args.phases = phases
    if args.batch_concurrency is None:
        args.batch_concurrency = max(1, round(args.concurrency / args.batch_size))
    for name in ("leads", "events", "concurrency", "batch_size", "batch_concurrency"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return run_bench(parse_args(argv), argv, run, print_report, "ingest")


if __name__ == "__main__":
    sys.exit(main())
