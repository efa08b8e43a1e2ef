"""The intake benchmark's load: new leads, each from its start to its first mail at the SMTP
sink, by the three paths, with a fixed number in flight.

- `ref`: `client.start_workflow(ReferenceWorkflow)` from this process; a lane starts a lead,
  waits for its mail, starts the next;
- `api`: `POST /v1/leads` (admin token); a lane posts a lead, waits for its first mail,
  posts the next: as many leads in flight, start to first mail, as in `ref`;
- `import`: `nurture import` of a generated CSV, `--concurrency` requests in flight (the
  importer's own lanes end at the API's answer, not at the mail); each row's latency runs
  from the command's start, so its process start-up is in the figures.

The rate is leads over the time from the phase's start to its last first mail. CPU per lead
is taken over the same window ("to first mail"), and again once the worker has settled (the
work a new lead causes after its first mail as well).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ingest_cpu import CpuMeter, CpuSnapshot
from ingest_http import HttpPool
from ingest_load import COLD, run_pool
from ingest_read_model import wait_quiet
from ingest_stack import BenchError, Stack, nurture_command
from ingest_stats import distribution
from intake_reference_workflow import WORKFLOW_NAME
from temporalio.client import Client

from nurture.mailsink import MailSink
from nurture.settings import DEV_ADMIN_TOKEN

MAIL_TIMEOUT_S = 120.0
POLL_S = 0.005
PAUSE_S = 0.5  # after a phase's last mail, before looking for the worker to settle
STILL_S = 1.0  # the read model unchanged this long: the worker has settled
KINDS = ("ref", "api", "import")
# The part that runs a phase's workflows: the reference worker, or nurture's.
WORKER_OF = {"ref": "ref_worker", "api": "worker", "import": "worker"}


class MailWatch:
    """When the first mail to each address reached the sink (the sink stamps it on arrival,
    in its own thread, so the poll interval does not blur the figure)."""

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink
        self.first: dict[str, float] = {}
        self._seen = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def scan(self) -> None:
        messages = self.sink.messages
        for mail in messages[self._seen :]:
            for to in mail.envelope_to:
                self.first.setdefault(to.lower(), mail.received_at)
        self._seen = len(messages)

    async def _poll(self) -> None:
        while True:
            self.scan()
            await asyncio.sleep(POLL_S)

    async def wait(self, address: str, timeout: float = MAIL_TIMEOUT_S) -> float:
        """When the first mail to `address` arrived (time.time())."""
        key = address.lower()
        deadline = time.monotonic() + timeout
        while key not in self.first:
            if time.monotonic() > deadline:
                raise BenchError(f"no mail to {address} within {timeout:.0f} s")
            await asyncio.sleep(POLL_S)
        return self.first[key]


class IntakeMeter(CpuMeter):
    """CpuMeter plus `importer`: the CPU of reaped child processes, that is `nurture import`
    (the stack's long-running parts are reaped only when the run ends)."""

    def snapshot(self) -> CpuSnapshot:
        snap = super().snapshot()
        t = os.times()
        snap.seconds["importer"] = t.children_user + t.children_system
        return snap


@dataclass
class IntakePhase:
    name: str
    kind: str
    leads: int
    concurrency: int
    seconds: float
    leads_per_s: float
    first_mail_latency: dict[str, float | int]
    request_latency: dict[str, float | int]
    settle_seconds: float
    cpu_percent: dict[str, float]
    cpu_ms_per_lead: dict[str, float]
    cpu_ms_per_lead_settled: dict[str, float]
    worker: str


class IntakeBench:
    def __init__(
        self, args: argparse.Namespace, stack: Stack, client: Client, ref_queue: str
    ) -> None:
        self.args = args
        self.stack = stack
        self.client = client
        self.ref_queue = ref_queue
        self.admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
        self.http = HttpPool(stack.api_url, max(args.concurrency, 8))
        self.mails = MailWatch(stack.sink)
        self.run_tag = uuid.uuid4().hex[:8]
        self.seq = 0
        self.last_reference = ""  # a reference workflow's ID, for goal 2's comparison

    async def __aenter__(self) -> IntakeBench:
        self.mails.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.mails.stop()
        await self.http.close()

    def addresses(self, kind: str, count: int) -> list[str]:
        out = [
            f"intake-{self.run_tag}-{kind}-{self.seq + i}@leads.example.com" for i in range(count)
        ]
        self.seq += count
        return out

    def lead_body(self, email: str, **extra: Any) -> dict[str, Any]:
        n = email.split("@", 1)[0].rsplit("-", 1)[1]
        return {
            "email": email,
            "name": f"Intake Lead {n}",
            "company": f"Intake Co {n}",
            "source": "bench-intake",
            "scenario": "whitepaper",
            **COLD,
            **extra,
        }

    # --- the paths -----------------------------------------------------------------------

    async def start_ref(self, email: str) -> None:
        handle = await self.client.start_workflow(
            WORKFLOW_NAME, email, id=f"intake-ref-{email}", task_queue=self.ref_queue
        )
        self.last_reference = handle.id

    async def post_lead(self, email: str) -> None:
        r = await self.http.post_json("/v1/leads", self.lead_body(email), self.admin)
        if r.status != 201:
            raise BenchError(f"POST /v1/leads answered {r.status}: {r.text[:300]}")

    async def lanes(self, kind: str, emails: list[str]) -> tuple[list[float], list[float]]:
        """Each lane: start a lead, wait for its first mail, start the next."""
        start = self.start_ref if kind == "ref" else self.post_lead
        to_mail: list[float] = []
        acked: list[float] = []

        async def one(email: str) -> None:
            t0 = time.time()
            await start(email)
            acked.append(time.time() - t0)
            to_mail.append(await self.mails.wait(email) - t0)

        await run_pool(emails, self.args.concurrency, one)
        return to_mail, acked

    async def import_csv(self, emails: list[str]) -> tuple[list[float], list[float]]:
        """`nurture import` of one generated row per address, to every row's first mail."""
        path = self.stack.workdir / f"import-{self.seq}.csv"
        fields = ["email", "name", "company", "job_title", "industry", "company_size"]
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            for email in emails:
                writer.writerow(self.lead_body(email))
        log = (self.stack.workdir / "import.log").open("ab")
        argv = [
            nurture_command(),
            "import",
            str(path),
            "--source",
            "bench-import",
            "--scenario",
            "whitepaper",
            "--api",
            self.stack.api_url,
            "--concurrency",
            str(min(self.args.concurrency, 32)),
        ]
        t0 = time.time()
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self.stack.env(),
            )
            code = await proc.wait()
        finally:
            log.close()
        command_s = time.time() - t0
        if code != 0:
            raise BenchError(f"nurture import exited {code} (see {self.stack.workdir}/import.log)")
        to_mail = [await self.mails.wait(email) - t0 for email in emails]
        return to_mail, [command_s]

    # --- a phase --------------------------------------------------------------------------

    async def phase(self, kind: str, leads: int, *, label: str | None = None) -> IntakePhase:
        emails = self.addresses(kind, leads)
        meter = IntakeMeter(self.stack)
        t0 = time.time()
        start = meter.snapshot()
        if kind == "import":
            to_mail, acked = await self.import_csv(emails)
        else:
            to_mail, acked = await self.lanes(kind, emails)
        last_mail = max(self.mails.first[e.lower()] for e in emails)
        mailed = meter.snapshot()
        seconds = last_mail - t0
        t_settle = time.monotonic()
        await asyncio.sleep(PAUSE_S)  # the workflow task after the mail (the reference's timer)
        await wait_quiet(self.stack, timeout=max(120.0, leads / 2), still=STILL_S)
        settled = meter.snapshot()
        # how long the read model kept changing after the pause (wait_quiet's stillness off)
        settle = time.monotonic() - t_settle - PAUSE_S - STILL_S
        self.stack.check_alive()
        per_lead = {k: round(1000 * v / leads, 2) for k, v in meter.used(start, mailed).items()}
        per_lead_settled = {
            k: round(1000 * v / leads, 2) for k, v in meter.used(start, settled).items()
        }
        return IntakePhase(
            name=label or kind,
            kind=kind,
            leads=leads,
            concurrency=self.args.concurrency,
            seconds=round(seconds, 3),
            leads_per_s=round(leads / seconds, 2),
            first_mail_latency=distribution(to_mail),
            request_latency=distribution(acked),
            settle_seconds=round(max(0.0, settle), 2),
            cpu_percent=meter.percent(start, mailed),
            cpu_ms_per_lead=per_lead,
            cpu_ms_per_lead_settled=per_lead_settled,
            worker=WORKER_OF[kind],
        )
