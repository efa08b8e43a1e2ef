"""Scale-out benchmark: the same intake load against `nurture worker --processes 1` and
`--processes 2`, on one Temporal server and a PostgreSQL read model (issue 13, goal 6).

The stack is the intake benchmark's (Temporal dev server in memory, the SMTP sink in this
process, `nurture api`, here with `--api-workers` uvicorn processes) on a PostgreSQL
database of its own, created for the run and dropped after it (`--postgres`, default the
local server's `test` database as the way in). The load is `POST /v1/leads` for new leads,
`--concurrency` lanes each posting a lead and waiting for its first mail at the sink, as the
intake benchmark's `api` path does. Between phases the worker is stopped (SIGTERM, drained)
and started again with the next phase's process count; each phase starts once the read
model has been still for a second and the new workers poll. Phases run 1 2 2 1 (so a linear
drift of the machine cancels out) after an unmeasured warm-up per count.

Reported: leads/s, first-mail p50/p99 and CPU ms per lead of the worker processes (the
supervisor and its children, read from /proc), the API processes, Temporal and everything
else on the machine, per phase and per count, the ratio 2/1 and the load average.

    .venv/bin/python bench/scale.py            # about 2 minutes
    .venv/bin/python bench/scale.py --quick    # about 1 minute
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import psycopg
from bench_main import run_bench
from ingest_cpu import cpu_seconds, machine_busy_seconds, own_cpu_seconds
from ingest_http import HttpConnection
from ingest_machine import machine_info
from ingest_stack import (
    LOOPBACK,
    BenchError,
    Stack,
    nurture_command,
    start_temporal,
    wait_until,
)
from ingest_stats import distribution, mean
from intake_load import IntakeBench
from sqlalchemy import inspect, text
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from nurture.cli.devprocs import Child
from nurture.db import make_engine
from nurture.settings import DEFAULT_WORKFLOW_RUNNER, WorkflowRunnerKind

STILL_S = 1.0  # the read model unchanged this long: the worker has settled
PARTS = ("worker", "api", "temporal")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--leads", type=int, default=160, help="new leads per phase")
    p.add_argument("--concurrency", type=int, default=16, help="leads in flight")
    p.add_argument("--order", default="1,2,2,1", help="worker process counts, phase by phase")
    p.add_argument("--warmup", type=int, default=24, help="unmeasured leads per count first")
    p.add_argument("--api-workers", type=int, default=2, help="`nurture api --workers`")
    p.add_argument(
        "--postgres",
        default="postgresql://127.0.0.1:5432/test",
        help="a PostgreSQL database to create the run's own database from",
    )
    p.add_argument(
        "--workflow-runner",
        choices=get_args(WorkflowRunnerKind),
        default=DEFAULT_WORKFLOW_RUNNER,
        help="the worker's NURTURE_WORKFLOW_RUNNER",
    )
    p.add_argument("--quick", action="store_true", help="--leads 80 --warmup 16")
    p.add_argument("--max-seconds", type=float, default=1200.0, help="abort the run after this")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    p.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = p.parse_args(argv)
    if args.quick:
        args.leads, args.warmup = 80, 16
    try:
        args.counts = [int(x) for x in args.order.split(",") if x.strip()]
    except ValueError:
        p.error("--order takes worker process counts, e.g. 1,2,2,1")
    if not args.counts or min(args.counts) < 1 or 1 not in args.counts:
        p.error("--order needs counts of at least 1, and 1 (every ratio is to it)")
    for name in ("leads", "concurrency", "api_workers"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


# --- the run's own database --------------------------------------------------------------


@contextlib.contextmanager
def own_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for the run (its SQLAlchemy URL), dropped afterwards."""
    name = f"nurture_scale_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as err:
        raise BenchError(f"cannot create a database through {admin_url}: {err}") from None
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fingerprint(url: str) -> tuple[int, ...]:
    """Row counts of every read-model table: unchanged = the worker is idle."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return tuple(
                int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in tables
            )
    finally:
        engine.dispose()


async def wait_still(stack: Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        stack.check_alive()
        now = await asyncio.to_thread(fingerprint, stack.database_url)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= STILL_S:
            return
        await asyncio.sleep(0.1)
    raise BenchError(f"the worker was still busy after {timeout:.0f} s")


# --- processes and their CPU ---------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its living children (a supervisor's children are reaped only
    when they exit, so its own figure leaves them out)."""
    return cpu_seconds(pid) + sum(cpu_seconds(c) for c in children_of(pid))


@dataclass(frozen=True)
class Snapshot:
    at: float
    seconds: dict[str, float]


def snapshot(parts: dict[str, int]) -> Snapshot:
    seconds = {name: tree_cpu_seconds(pid) for name, pid in parts.items()}
    seconds["bench"] = own_cpu_seconds()
    seconds["machine"], seconds["steal"] = machine_busy_seconds()
    return Snapshot(time.perf_counter(), seconds)


def used(a: Snapshot, b: Snapshot) -> dict[str, float]:
    out = {k: b.seconds[k] - a.seconds.get(k, 0.0) for k in b.seconds}
    machine, steal = out.pop("machine"), out.pop("steal")
    out["other"] = max(0.0, machine - sum(out.values()))
    out["steal"] = steal
    return out


# --- the stack -----------------------------------------------------------------------------


class ScaleStack:
    """Temporal, the API with `--api-workers` processes, and a worker whose process count
    changes between phases."""

    def __init__(self, args: argparse.Namespace, stack: Stack) -> None:
        self.args = args
        self.stack = stack
        self.worker: Child | None = None
        self.api: Child | None = None
        self.temporal: Child | None = None

    def parts(self) -> dict[str, int]:
        found = {"worker": self.worker, "api": self.api, "temporal": self.temporal}
        return {name: c.proc.pid for name, c in found.items() if c is not None}

    async def start(self) -> Client:
        stack = self.stack
        self.temporal, self.client = await start_temporal(stack)
        await self.start_worker(1)  # migrates the database before the API comes up
        self.api = stack.start(
            "api",
            [
                nurture_command(),
                "api",
                "--host",
                LOOPBACK,
                "--port",
                str(stack.api_port),
                "--workers",
                str(self.args.api_workers),
            ],
        )

        async def api_ready() -> bool:
            conn = HttpConnection(LOOPBACK, stack.api_port)
            try:
                return (await conn.request("GET", "/healthz")).status == 200
            finally:
                await conn.close()

        await wait_until("API", api_ready, stack, 60)
        return self.client

    async def start_worker(self, processes: int) -> None:
        """Stop the worker (SIGTERM: it drains), start `nurture worker --processes N` and
        wait until its N processes poll the task queue."""
        if self.worker is not None:
            await asyncio.to_thread(self.worker.stop, 60.0)
            self.stack.children.remove(self.worker)
        self.worker = worker = self.stack.start(
            f"worker-{processes}", [nurture_command(), "worker", "--processes", str(processes)]
        )

        async def polling() -> bool:
            pids = {worker.proc.pid} if processes == 1 else set(children_of(worker.proc.pid))
            if len(pids) != processes:
                return False
            resp = await self.client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=self.client.namespace,
                    task_queue=TaskQueue(name=self.stack.task_queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            )
            polling = {int(p.identity.split("@", 1)[0]) for p in resp.pollers}
            return pids <= polling

        await wait_until(f"{processes} worker process(es)", polling, self.stack, 90)


class ScaleLoad(IntakeBench):
    """The intake benchmark's `api` lanes; a lead answered 202 (its first workflow task not
    done within NURTURE_INTAKE_WAIT_SECONDS, seen on a saturated machine) counts like a 201:
    its workflow runs and the lane waits for its mail all the same."""

    pending = 0  # POSTs answered 202 in the current phase

    async def post_lead(self, email: str) -> None:
        r = await self.http.post_json("/v1/leads", self.lead_body(email), self.admin)
        if r.status not in (201, 202):
            raise BenchError(f"POST /v1/leads answered {r.status}: {r.text[:300]}")
        self.pending += r.status == 202


@dataclass
class ScalePhase:
    name: str
    processes: int
    leads: int
    seconds: float
    leads_per_s: float
    first_mail_latency: dict[str, float | int]
    post_latency: dict[str, float | int]
    cpu_percent: dict[str, float]
    cpu_ms_per_lead: dict[str, float]
    load_average: float  # 1-minute load average at the phase's end
    answered_pending: int  # of the POSTs, answered 202 (pending) rather than 201


async def phase(
    scale: ScaleStack, bench: ScaleLoad, processes: int, leads: int, label: str
) -> ScalePhase:
    if scale.worker is None or scale.worker.name != f"worker-{processes}":
        await scale.start_worker(processes)
    await wait_still(scale.stack, 120)
    emails = bench.addresses("api", leads)
    bench.pending = 0
    t0 = time.time()
    start = snapshot(scale.parts())
    to_mail, posted = await bench.lanes("api", emails)
    end = snapshot(scale.parts())
    seconds = max(bench.mails.first[e.lower()] for e in emails) - t0
    scale.stack.check_alive()
    cpu = used(start, end)
    wall = max(end.at - start.at, 1e-9)
    return ScalePhase(
        name=label,
        processes=processes,
        leads=leads,
        seconds=round(seconds, 3),
        leads_per_s=round(leads / seconds, 2),
        first_mail_latency=distribution(to_mail),
        post_latency=distribution(posted),
        cpu_percent={k: round(100 * v / wall) for k, v in cpu.items()},
        cpu_ms_per_lead={k: round(1000 * v / leads, 2) for k, v in cpu.items()},
        load_average=os.getloadavg()[0],
        answered_pending=bench.pending,
    )


def summarise(phases: list[ScalePhase]) -> dict[str, Any]:
    by: dict[str, Any] = {}
    for n in sorted({p.processes for p in phases}):
        mine = [p for p in phases if p.processes == n]
        by[str(n)] = {
            "phases": len(mine),
            "leads_per_s": round(mean([p.leads_per_s for p in mine]), 2),
            "p50_ms": round(mean([float(p.first_mail_latency["p50_ms"]) for p in mine]), 1),
            "p99_ms": round(mean([float(p.first_mail_latency["p99_ms"]) for p in mine]), 1),
            "cpu_ms_per_lead": {
                k: round(mean([p.cpu_ms_per_lead.get(k, 0.0) for p in mine]), 2)
                for k in (*PARTS, "other")
            },
            "machine_busy_percent": round(
                mean(
                    [sum(p.cpu_percent.get(k, 0) for k in (*PARTS, "bench", "other")) for p in mine]
                )
            ),
        }
    one = by["1"]["leads_per_s"]
    for s in by.values():
        s["ratio_to_1"] = round(s["leads_per_s"] / one, 3)
    return {
        "by_processes": by,
        "max_other_cpu_percent": max(p.cpu_percent.get("other", 0) for p in phases),
        "max_load_average": round(max(p.load_average for p in phases), 2),
    }


async def run(args: argparse.Namespace, stack: Stack, argv: Sequence[str]) -> dict[str, Any]:
    started = datetime.now(UTC)
    with own_database(args.postgres) as url:
        stack.database_url = url
        stack.extra_env["NURTURE_WORKFLOW_RUNNER"] = args.workflow_runner
        scale = ScaleStack(args, stack)
        print(f"starting Temporal, worker and API on PostgreSQL (logs in {stack.workdir})")
        client = await scale.start()
        phases: list[ScalePhase] = []
        bench = ScaleLoad(args, stack, client, ref_queue="")
        async with bench:
            if args.warmup:
                for n in dict.fromkeys(args.counts):
                    print(f"warm-up: {args.warmup} leads on {n} worker process(es)")
                    await phase(scale, bench, n, args.warmup, f"warmup-{n}")
            seen: dict[int, int] = {}
            for n in args.counts:
                seen[n] = seen.get(n, 0) + 1
                ph = await phase(scale, bench, n, args.leads, f"{n}#{seen[n]}")
                phases.append(ph)
                print(
                    f"  {n} process(es) #{seen[n]}: {ph.leads} leads in {ph.seconds:.2f} s = "
                    f"{ph.leads_per_s:.1f} leads/s, first mail p50 "
                    f"{ph.first_mail_latency['p50_ms']:.0f} ms, worker "
                    f"{ph.cpu_percent.get('worker', 0):.0f}% / API "
                    f"{ph.cpu_percent.get('api', 0):.0f}% / Temporal "
                    f"{ph.cpu_percent.get('temporal', 0):.0f}% of a core, "
                    f"load {ph.load_average:.2f}, {ph.answered_pending} answered 202"
                )
        stack.stop()  # before the database is dropped
    return {
        "benchmark": "scale",
        "date": started.date().isoformat(),
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started).total_seconds(), 1),
        "command": " ".join([".venv/bin/python", "bench/scale.py", *argv]),
        "machine": machine_info(),
        "config": {
            "leads": args.leads,
            "concurrency": args.concurrency,
            "order": args.counts,
            "warmup": args.warmup,
            "api_workers": args.api_workers,
            "path": "POST /v1/leads to first mail (whitepaper, NURTURE_SEND_WINDOW=false)",
            "temporal": "dev server in memory (temporal server start-dev --headless)",
            "database": "PostgreSQL, a database of the run's own",
            "workflow_runner": args.workflow_runner,
        },
        "summary": summarise(phases),
        "phases": [asdict(p) for p in phases],
        "errors": [],
    }


def print_report(result: dict[str, Any]) -> None:
    s = result["summary"]
    print(f"\n{result['command']}  ({result['date']}, {result['machine']['nproc']} vCPU)")
    print(
        f"{'processes':<10} {'leads/s':>8} {'x 1':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'worker ms/lead':>15} {'api':>6} {'temporal':>9} {'machine %':>10}"
    )
    for n, row in s["by_processes"].items():
        c = row["cpu_ms_per_lead"]
        print(
            f"{n:<10} {row['leads_per_s']:>8.1f} {row['ratio_to_1']:>6.2f} {row['p50_ms']:>8.0f} "
            f"{row['p99_ms']:>8.0f} {c['worker']:>15.1f} {c['api']:>6.1f} {c['temporal']:>9.1f} "
            f"{row['machine_busy_percent']:>10}"
        )
    print(
        f"others on the machine took up to {s['max_other_cpu_percent']}% of a core; "
        f"1-minute load average up to {s['max_load_average']}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return run_bench(parse_args(argv), argv, run, print_report, "scale")


if __name__ == "__main__":
    sys.exit(main())
