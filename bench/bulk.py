"""Bulk load benchmark (issue 13, goal 4): `nurture import` of generated rows, paced by the
workers, against the waiting path it replaced, on the same stack in the same run.

The stack is the ingest benchmark's (Temporal dev server in memory, `nurture worker`,
`nurture api`, SQLite, the SMTP sink in this process). In order:

- (W) the waiting path: `POST /v1/leads` per row, 4 in flight (what `nurture import` did
  before), `--reference` new leads, to each one's first mail at the sink;
- (B) `nurture import` of `--rows` generated rows (batches to `POST /v1/leads/bulk`),
  from the command's start to the last row's first mail; its plain progress lines (one
  a second) give the ETA it showed, compared with when it really ended;
- (R) the same file again: nothing new may be created and no mail sent twice.

Then every address's mails are counted at the sink (lost: none; doubled: more than one),
and the worker's and the API's logs are searched for warnings (workflow task duration or
deadlock, heartbeat timeouts, anything at WARNING or above). Figures are ratios to (W).

    .venv/bin/python bench/bulk.py --rows 2000
    .venv/bin/python bench/bulk.py --rows 10000
    .venv/bin/python bench/bulk.py --rows 2000 --old-worker   # the settings before issue 13

`--old-worker` runs the worker with the limits it had (64 activities, the SDK's 100 local
activities) and the import unpaced (NURTURE_INTAKE_MAX_BACKLOG=1000000), to show what the
defaults avoid. Results: a report on stdout and `bench/results/bulk-<date>.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import shlex
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_main import run_bench
from ingest_http import HttpPool
from ingest_load import COLD, run_pool
from ingest_machine import machine_info
from ingest_read_model import read_model_fingerprint, wait_quiet
from ingest_report import machine_words
from ingest_stack import BenchError, Stack, nurture_command, start_stack
from ingest_stats import distribution
from intake_load import MailWatch
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from nurture.orchestration.backlog import KINDS
from nurture.settings import DEV_ADMIN_TOKEN

OLD_WORKER = {
    "NURTURE_WORKER_ACTIVITIES": "64",
    "NURTURE_WORKER_LOCAL_ACTIVITIES": "100",
    "NURTURE_INTAKE_MAX_BACKLOG": "1000000",
}
# What the worker's log must not hold (Core's and the SDK's words for the warnings).
WARNINGS = {
    "workflow task duration exceeded": re.compile(r"TMPRL1104|Workflow task duration exceeded"),
    "deadlock": re.compile(r"TMPRL1101|[Dd]eadlock"),
    "heartbeat timeout": re.compile(r"[Hh]eartbeat.{0,40}time|HEARTBEAT|heartbeat_timeout"),
    "send cancelled (heartbeat timed out)": re.compile(r"CancelledError: Activity cancelled"),
    "mail of unknown fate": re.compile(r"fate unknown"),
    "any WARNING or ERROR line": re.compile(r"\b(WARN|WARNING|ERROR|CRITICAL)\b"),
}
QUIET_S = 20.0  # the worker changed nothing this long: a missing first mail is lost
PROGRESS = re.compile(r"progress: (\d+)/(\d+) rows, ([\d.]+) leads/s, ETA (\d+) s")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--rows", type=int, default=2000, help="rows of the generated CSV")
    p.add_argument("--reference", type=int, default=200, help="leads by the waiting path")
    p.add_argument("--old-worker", action="store_true", help="the limits before issue 13")
    p.add_argument("--max-seconds", type=float, default=3600.0, help="abort the run after this")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, SQLite)")
    p.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    return p.parse_args(argv)


def body(email: str, n: int) -> dict[str, Any]:
    return {
        "email": email,
        "name": f"Bulk Lead {n}",
        "company": f"Bulk Co {n}",
        "source": "bench-bulk",
        "scenario": "whitepaper",
        **COLD,
    }


async def waiting_path(stack: Stack, mails: MailWatch, emails: list[str]) -> dict[str, Any]:
    """(W): one POST /v1/leads per row, 4 in flight, to every row's first mail."""
    http = HttpPool(stack.api_url, 4)
    admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    t0 = time.time()

    async def one(email: str) -> None:
        r = await http.post_json("/v1/leads", body(email, 0), admin)
        if r.status != 201:
            raise BenchError(f"POST /v1/leads answered {r.status}: {r.text[:300]}")

    try:
        await run_pool(emails, 4, one)
    finally:
        await http.close()
    last = await first_mails(stack, mails, emails)
    return {"leads": len(emails), "seconds": round(last - t0, 2), "rate": len(emails) / (last - t0)}


Reading = tuple[float, int, int, float, int]  # seconds in, rows done, total, rate, ETA s


async def run_import(
    stack: Stack, path: Path, log_name: str
) -> tuple[float, int, str, list[Reading]]:
    """`nurture import` of the file; (seconds, exit code, stdout, progress lines with when)."""
    argv = [
        nurture_command(),
        "import",
        str(path),
        "--source",
        "bench-bulk",
        "--scenario",
        "whitepaper",
        "--api",
        stack.api_url,
        "--progress-every",
        "1",
    ]
    t0 = time.time()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=stack.env(),
    )
    assert proc.stderr is not None and proc.stdout is not None
    progress: list[Reading] = []
    log = (stack.workdir / log_name).open("w", encoding="utf-8")
    try:
        while line := (await proc.stderr.readline()).decode("utf-8", "replace"):
            log.write(line)
            m = PROGRESS.search(line)
            if m:
                done, total, rate, eta = m.groups()
                progress.append((time.time() - t0, int(done), int(total), float(rate), int(eta)))
        out = (await proc.stdout.read()).decode()
        code = await proc.wait()
    finally:
        log.close()
    return time.time() - t0, code, out, progress


def eta_accuracy(progress: list[Reading], ended: float) -> dict[str, Any]:
    """How far the ETA shown was from the real end, as a share of the whole import, over
    the lines between 10 % and 90 % done (before 10 %, the rate is still being measured)."""
    errors = [
        abs(t + eta - ended) / ended
        for t, done, total, _, eta in progress
        if 0.1 <= done / total <= 0.9
    ]
    if not errors:
        return {"samples": 0}
    errors.sort()
    return {
        "samples": len(errors),
        "median_error_pct": round(100 * errors[len(errors) // 2], 1),
        "max_error_pct": round(100 * errors[-1], 1),
    }


async def sample_backlog(client: Client, queue: str, out: list[tuple[float, int, int]]) -> None:
    """The workflow and activity backlogs twice a second (what the API paces by)."""
    t0 = time.time()
    while True:
        kinds = []
        for kind in KINDS:
            described = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=queue),
                    task_queue_type=kind,
                    report_stats=True,
                )
            )
            kinds.append(int(described.stats.approximate_backlog_count))
        out.append((round(time.time() - t0, 1), kinds[0], kinds[1]))
        await asyncio.sleep(0.5)


async def first_mails(stack: Stack, mails: MailWatch, emails: list[str]) -> float:
    """When the last of `emails` got its first mail; once the read model has stood still for
    QUIET_S with some still missing, those are lost (counted later) and the last arrival so
    far is returned."""
    last_print, still_since, before = 0.0, time.monotonic(), None
    while True:
        mails.scan()
        got = [mails.first[e.lower()] for e in emails if e.lower() in mails.first]
        if len(got) == len(emails):
            return max(got)
        now_model = await asyncio.to_thread(read_model_fingerprint, stack.db_path)
        if now_model != before:
            before, still_since = now_model, time.monotonic()
        elif time.monotonic() - still_since > QUIET_S:
            print(f"    {len(emails) - len(got)} first mails never came")
            return max(got, default=time.time())
        if time.monotonic() - last_print > 30:
            last_print = time.monotonic()
            print(f"    first mails so far: {len(got)}/{len(emails)}")
        stack.check_alive()
        await asyncio.sleep(0.5)


def warnings_in(path: Path) -> dict[str, int]:
    text = path.read_text("utf-8", "replace").splitlines() if path.exists() else []
    return {name: sum(bool(rx.search(line)) for line in text) for name, rx in WARNINGS.items()}


async def run(args: argparse.Namespace, stack: Stack, argv: Sequence[str]) -> dict[str, Any]:
    started = datetime.now(UTC)
    if args.old_worker:
        stack.extra_env.update(OLD_WORKER)
    print(f"starting Temporal dev server, worker and API (logs in {stack.workdir})")
    client = await start_stack(stack)
    samples: list[tuple[float, int, int]] = []
    mails = MailWatch(stack.sink)
    mails.start()
    tag = uuid.uuid4().hex[:6]
    errors: list[str] = []
    try:
        warm = [f"warm-{tag}-{i}@bulk.example.com" for i in range(20)]
        await waiting_path(stack, mails, warm)
        await wait_quiet(stack, timeout=120, still=1.0)
        ref_emails = [f"wait-{tag}-{i}@bulk.example.com" for i in range(args.reference)]
        print(f"(W) waiting path: {args.reference} leads, POST /v1/leads, 4 in flight")
        ref = await waiting_path(stack, mails, ref_emails)
        print(f"    {ref['rate']:.1f} leads/s")
        await wait_quiet(stack, timeout=300, still=1.0)

        rows = [f"row-{tag}-{i}@bulk.example.com" for i in range(args.rows)]
        path = stack.workdir / "bulk.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=["email", "name", "company", "job_title"])
            writer.writeheader()
            for n, email in enumerate(rows):
                writer.writerow({k: v for k, v in body(email, n).items() if k in writer.fieldnames})
        print(f"(B) nurture import of {args.rows} rows")
        t0 = time.time()
        sampler = asyncio.create_task(sample_backlog(client, stack.task_queue, samples))
        seconds, code, out, progress = await run_import(stack, path, "import-1.log")
        if code != 0:
            raise BenchError(f"nurture import exited {code}: {out[-500:]}")
        last = await first_mails(stack, mails, rows)
        to_mail = last - t0
        sampler.cancel()
        print(f"    {out.strip()}")
        print(f"    command {seconds:.1f} s, last first mail {to_mail:.1f} s")
        await wait_quiet(stack, timeout=1800, still=2.0)
        mails.scan()
        first_count = Counter(to for m in stack.sink.messages for to in m.envelope_to)

        print("(R) the same file again")
        re_seconds, re_code, re_out, _ = await run_import(stack, path, "import-2.log")
        print(f"    {re_out.strip()} in {re_seconds:.1f} s")
        await wait_quiet(stack, timeout=1800, still=2.0)
        count = Counter(to for m in stack.sink.messages for to in m.envelope_to)
        lost = sum(count[e] == 0 for e in rows)
        doubled = sum(count[e] > 1 for e in rows)
        sent_by_rerun = sum(count.values()) - sum(first_count.values())
        if re_code != 0 or "imported 0," not in re_out:
            errors.append(f"the re-run created leads or failed: {re_out.strip()}")
    finally:
        await mails.stop()
    rate = args.rows / to_mail
    lats = [mails.first[e] - t0 for e in rows if e in mails.first]
    result: dict[str, Any] = {
        "benchmark": "bulk",
        "date": started.date().isoformat(),
        "command": shlex.join([".venv/bin/python", "bench/bulk.py", *argv]),
        "machine": machine_info(),
        "config": {
            "rows": args.rows,
            "reference": args.reference,
            "worker": dict(OLD_WORKER) if args.old_worker else "defaults",
        },
        "waiting_path": ref,
        "import": {
            "rows": args.rows,
            "command_s": round(seconds, 1),
            "to_last_mail_s": round(to_mail, 1),
            "leads_per_s": round(rate, 1),
            "x_waiting_path": round(rate / ref["rate"], 2),
            "first_mail_from_start": distribution(lats),
            "eta": eta_accuracy(progress, seconds),
            "progress_lines": len(progress),
            "backlog_max": {
                "workflow": max((s[1] for s in samples), default=0),
                "activity": max((s[2] for s in samples), default=0),
            },
            "backlog_samples": samples,
            "summary": out.strip(),
        },
        "rerun": {
            "seconds": round(re_seconds, 1),
            "summary": re_out.strip(),
            "mails": sent_by_rerun,
        },
        "mails": {"lost": lost, "doubled": doubled},
        "warnings": {
            "worker": warnings_in(stack.workdir / "worker.log"),
            "api": warnings_in(stack.workdir / "api.log"),
        },
        "errors": errors,
    }
    return result


def print_report(r: dict[str, Any]) -> None:
    imp, ref = r["import"], r["waiting_path"]
    print(f"\nbulk load, {r['date']}, {machine_words(r['machine'])}")
    print(f"  worker: {r['config']['worker']}")
    print(f"  (W) waiting path      {ref['rate']:6.1f} leads/s  1.00")
    print(
        f"  (B) nurture import    {imp['leads_per_s']:6.1f} leads/s  {imp['x_waiting_path']:.2f}x"
        f"  ({imp['rows']} rows: command {imp['command_s']} s, last first mail "
        f"{imp['to_last_mail_s']} s)"
    )
    eta = imp["eta"]
    if eta.get("samples"):
        print(
            f"  ETA shown vs real end: median {eta['median_error_pct']} %, max "
            f"{eta['max_error_pct']} % of the import's length ({eta['samples']} readings)"
        )
    print(f"  backlog seen during the import, at most: {imp['backlog_max']}")
    print(f"  re-run: {r['rerun']['summary']}; mails it sent: {r['rerun']['mails']}")
    print(f"  mails: lost {r['mails']['lost']}, doubled {r['mails']['doubled']}")
    for part, counts in r["warnings"].items():
        print(f"  {part} log: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    name = "bulk-old-worker" if args.old_worker else "bulk"
    return run_bench(args, argv, run, print_report, name)


if __name__ == "__main__":
    sys.exit(main())
