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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from nurture import signing
from nurture.binaries import find_binary
from nurture.cli.devprocs import Child, listening
from nurture.db import make_engine, session_scope
from nurture.mailsink import MailSink, free_port
from nurture.models import BehaviourEvent, EventType
from nurture.orchestration.lead_runs import deliver_event
from nurture.repo import leads as lead_repo
from nurture.search_attributes import cli_flags
from nurture.settings import DEV_ADMIN_TOKEN, DEV_WEBHOOK_SECRET, Settings
from nurture.tables import Lead
from nurture.temporal import connect, missing_search_attributes

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
LOOPBACK = "127.0.0.1"
REP = ("Bench Rep", "rep@bench.example.com")
GOAL_RATIO = 0.9
NOISY_OTHER_PERCENT = 15  # % of one core used by other processes that makes a run noisy
STOP_GRACE_SECONDS = 10.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Cold leads: no attribute points, so 0-point rate events never bring them near the MQL
# threshold (60). Warm leads: 20 + 15 + 10 = 45; one pricing page view (+15) qualifies them.
COLD = {"job_title": "Analyst", "industry": "Retail", "company_size": 20}
WARM = {"job_title": "CEO", "industry": "Manufacturing", "company_size": 500}
RATE_EVENT = EventType.EMAIL_OPEN  # 0 points: the score and search attributes stay put
SCORE_EVENT = EventType.PAGE_VIEW  # +1 point: a visible score change
QUALIFYING_EVENT = EventType.PRICING_PAGE_VIEW  # +15 points: 45 -> 60, the MQL threshold

T = TypeVar("T")


class BenchError(Exception):
    """The benchmark cannot go on; the message says what failed."""


# --- options ------------------------------------------------------------------------------


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


# --- processes --------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (and its reaped children) from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # after the ")": state is fields[0]; utime, stime, cutime, cstime are fields 11..14
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def machine_busy_seconds() -> tuple[float, float]:
    """CPU seconds all processes on the machine used, and the hypervisor's steal, from the
    `cpu` line of /proc/stat."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (ticks + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class Stack:
    """The parts this run started, their addresses, and where they log."""

    workdir: Path
    temporal_port: int
    api_port: int
    task_queue: str
    database_url: str
    db_path: Path
    sink: MailSink
    children: list[Child] = field(default_factory=list)

    @property
    def temporal_address(self) -> str:
        return f"{LOOPBACK}:{self.temporal_port}"

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    def pids(self) -> dict[str, int]:
        return {c.name: c.proc.pid for c in self.children}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NURTURE_")}
        env.update(
            PYTHONUNBUFFERED="1",
            NURTURE_ENV="dev",
            NURTURE_TEMPORAL_ADDRESS=self.temporal_address,
            NURTURE_TASK_QUEUE=self.task_queue,
            NURTURE_DATABASE_URL=self.database_url,
            NURTURE_SMTP_HOST=self.sink.host,
            NURTURE_SMTP_PORT=str(self.sink.port),
            NURTURE_PUBLIC_URL=self.api_url,
            NURTURE_WEBHOOK_SECRET=DEV_WEBHOOK_SECRET,
            NURTURE_ADMIN_TOKEN=DEV_ADMIN_TOKEN,
            NURTURE_SALES_REPS=f"{REP[0]} <{REP[1]}>",
            NURTURE_LOG_LEVEL="WARNING",
            # Marketing mail goes out at once, whatever the time of day, so every run does the
            # same work (the send window would turn the welcome mails into timers at night).
            NURTURE_SEND_WINDOW="false",
        )
        return env

    def settings(self) -> Settings:
        """The settings the worker and the API read from `env()`, for this process's calls."""
        return Settings.model_validate(
            {
                k.removeprefix("NURTURE_").lower(): v
                for k, v in self.env().items()
                if k.startswith("NURTURE_")
            }
        )

    def start(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv, self.env(), self.workdir)
        self.children.append(child)
        return child

    def check_alive(self) -> None:
        for child in self.children:
            if not child.alive():
                raise BenchError(
                    f"{child.name} exited (code {child.proc.returncode}):\n{child.tail()}"
                )

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop(STOP_GRACE_SECONDS)
        self.children.clear()
        self.sink.stop()


async def wait_until(
    what: str, probe: Callable[[], Awaitable[bool]], stack: Stack, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        stack.check_alive()
        with contextlib.suppress(
            RPCError, RuntimeError, OSError, EOFError, ValueError, TimeoutError
        ):
            if await asyncio.wait_for(probe(), 5.0):
                return
        if time.monotonic() > deadline:
            tails = "\n".join(f"  {c.name}:\n{c.tail(10)}" for c in stack.children)
            raise BenchError(f"{what} not ready after {timeout:.0f} s; logs:\n{tails}")
        await asyncio.sleep(0.2)


async def start_stack(stack: Stack) -> Client:
    """Temporal, then the worker, then the API; returns this process's Temporal client."""
    venv_bin = Path(sys.executable).parent
    nurture = str(venv_bin / "nurture") if (venv_bin / "nurture").exists() else "nurture"
    stack.start(
        "temporal",
        [
            find_binary("temporal"),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            LOOPBACK,
            "--port",
            str(stack.temporal_port),
            "--http-port",
            str(free_port()),
            "--metrics-port",
            str(free_port()),
            "--log-level",
            "warn",
            *cli_flags(),
        ],
    )
    client: Client | None = None

    async def temporal_ready() -> bool:
        nonlocal client
        if not listening(LOOPBACK, stack.temporal_port):
            return False
        client = await connect(stack.settings())
        await client.service_client.check_health()
        return not await missing_search_attributes(client)

    await wait_until("Temporal dev server", temporal_ready, stack, 60)
    assert client is not None
    worker = stack.start("worker", [nurture, "worker"])

    async def worker_polling() -> bool:
        assert client is not None
        resp = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=stack.task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        return any(p.identity.startswith(f"{worker.proc.pid}@") for p in resp.pollers)

    await wait_until("worker", worker_polling, stack, 60)
    stack.start("api", [nurture, "api", "--host", LOOPBACK, "--port", str(stack.api_port)])

    async def api_ready() -> bool:
        conn = HttpConnection(LOOPBACK, stack.api_port)
        try:
            return (await conn.request("GET", "/healthz")).status == 200
        finally:
            await conn.close()

    await wait_until("API", api_ready, stack, 60)
    return client


# --- a lean HTTP/1.1 client -----------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class HttpConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams.

    httpx costs this process ~3 ms of CPU per request (measured here: one core saturated at
    ~250-330 req/s against a bare 404), which on a 2-core machine would take CPU from the API
    being measured. This speaks just enough HTTP/1.1 for uvicorn's answers (Content-Length
    or chunked bodies) at a fraction of that cost.
    """

    IDLE_REOPEN_SECONDS = 2.0  # uvicorn closes idle keep-alive connections after 5 s

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        stale = time.monotonic() - self._last_used > self.IDLE_REOPEN_SECONDS
        if self._writer is None or stale or self._writer.is_closing():
            await self.close()
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None and self._writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await self._writer.drain()
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        fields = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            data = await self._reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            data = await self._read_chunked(self._reader)
        else:
            data = await self._reader.read()
            fields["connection"] = "close"
        if fields.get("connection", "").lower() == "close":
            await self.close()
        self._last_used = time.monotonic()
        return Reply(status, data)

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


class HttpPool:
    """Up to `size` keep-alive connections, each carrying one request at a time."""

    def __init__(self, base_url: str, size: int) -> None:
        address = base_url.removeprefix("http://").rstrip("/")
        host, _, port = address.rpartition(":")
        self.host, self.port = host, int(port)
        self._idle: list[HttpConnection] = []
        self._all: list[HttpConnection] = []
        self._free = asyncio.Semaphore(size)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        async with self._free:
            conn = self._idle.pop() if self._idle else self._new()
            try:
                reply = await conn.request(method, path, body, headers)
            except BaseException:
                await conn.close()  # never reuse a connection in an unknown state
                raise
            self._idle.append(conn)
            return reply

    def _new(self) -> HttpConnection:
        conn = HttpConnection(self.host, self.port)
        self._all.append(conn)
        return conn

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return await self.request("GET", path, headers=headers)

    async def post_json(self, path: str, payload: Any, headers: dict[str, str]) -> Reply:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return await self.request(
            "POST", path, body, {**headers, "Content-Type": "application/json"}
        )

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()


# --- measuring ----------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (with few samples p99 is the maximum, said as such)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def distribution(values_s: Sequence[float]) -> dict[str, float | int]:
    ms = [v * 1000 for v in values_s]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p90_ms": round(percentile(ms, 90), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
        "mean_ms": round(sum(ms) / len(ms), 1),
    }


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    seconds: dict[str, float]


class CpuMeter:
    """CPU seconds of each part (bench, temporal, worker, api), of everything else on the
    machine (`other`), and stolen by the hypervisor (`steal`): either makes the rates noisy,
    and the report says so."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def snapshot(self) -> CpuSnapshot:
        now = {name: cpu_seconds(pid) for name, pid in self.stack.pids().items()}
        now["bench"] = own_cpu_seconds()
        now["machine"], now["steal"] = machine_busy_seconds()
        return CpuSnapshot(time.perf_counter(), now)

    @staticmethod
    def used(a: CpuSnapshot, b: CpuSnapshot) -> dict[str, float]:
        """CPU seconds per part between two snapshots."""
        used = {k: b.seconds[k] - a.seconds.get(k, 0.0) for k in b.seconds}
        machine, steal = used.pop("machine"), used.pop("steal")
        used["other"] = max(0.0, machine - sum(used.values()))
        used["steal"] = steal
        return used

    @classmethod
    def percent(cls, a: CpuSnapshot, b: CpuSnapshot) -> dict[str, float]:
        """% of one core per part between two snapshots."""
        wall = max(b.at - a.at, 1e-9)
        return {k: round(100 * v / wall) for k, v in cls.used(a, b).items()}


async def run_pool(
    items: Sequence[T], concurrency: int, send: Callable[[T], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Send every item with `concurrency` in flight; wall time and per-item latencies."""
    pending = iter(items)
    latencies: list[float] = []

    async def lane() -> None:
        for item in pending:  # one shared iterator: each item goes to exactly one lane
            t = time.perf_counter()
            await send(item)
            latencies.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(min(concurrency, len(items)))))
    return time.perf_counter() - t0, latencies


def applied_events(db_path: Path) -> int:
    """How many events the worker has applied to the read model (one row per event)."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
        row = conn.execute("SELECT count(*) FROM lead_event").fetchone()
    return int(row[0])


async def wait_applied(stack: Stack, expected: int, timeout: float) -> float:
    """Wait until the worker applied `expected` events in all; seconds it took."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while True:
        count = await asyncio.to_thread(applied_events, stack.db_path)
        if count >= expected:
            return time.perf_counter() - t0
        stack.check_alive()
        if time.perf_counter() > deadline:
            raise BenchError(
                f"the worker applied {count} of {expected} events within {timeout:.0f} s"
            )
        await asyncio.sleep(0.05)


def read_model_fingerprint(db_path: Path) -> tuple[object, ...]:
    """Row counts of every table of the read model: unchanged = the worker is idle."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        counts = tuple(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    return counts


async def wait_quiet(stack: Stack, timeout: float, still: float = 1.5) -> None:
    """Wait until the read model has not changed for `still` seconds."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        stack.check_alive()
        now = await asyncio.to_thread(read_model_fingerprint, stack.db_path)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= still:
            return
        await asyncio.sleep(0.1)
    raise BenchError(f"the worker was still busy after {timeout:.0f} s of setup")


@dataclass
class PhaseResult:
    name: str
    kind: str
    events: int
    requests: int
    concurrency: int
    seconds: float
    events_per_s: float
    request_latency: dict[str, float | int]
    in_flight_events: int
    drain_seconds: float
    applied_per_s: float
    cpu_percent_sending: dict[str, float]
    cpu_ms_per_event: dict[str, float]


class Bench:
    def __init__(self, args: argparse.Namespace, stack: Stack, client: Client) -> None:
        self.args = args
        self.stack = stack
        self.client = client
        self.settings = stack.settings()
        self.secret = DEV_WEBHOOK_SECRET
        self.admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
        self.http = HttpPool(stack.api_url, max(args.concurrency, 16))
        self.cold: list[Lead] = []
        self.warm: list[Lead] = []
        self.sent = 0  # events sent and expected in lead_event
        self.run_tag = uuid.uuid4().hex[:8]
        self.seq = 0

    async def close(self) -> None:
        await self.http.close()

    # --- setup ------------------------------------------------------------------------

    async def create_leads(self) -> None:
        n_cold, n_warm = self.args.leads, self.args.mql_samples
        bodies = [
            {
                "email": f"bench-{self.run_tag}-{i}@leads.example.com",
                "name": f"Bench Lead {i}",
                "company": f"Bench Co {i}",
                "source": "bench",
                "scenario": "whitepaper",
                **(COLD if i < n_cold else WARM),
            }
            for i in range(n_cold + n_warm)
        ]
        ids: list[str] = [""] * len(bodies)

        async def create(index: int) -> None:
            r = await self.http.post_json("/v1/leads", bodies[index], self.admin)
            if r.status != 201:
                raise BenchError(f"POST /v1/leads answered {r.status}: {r.text[:300]}")
            ids[index] = r.json()["id"]

        seconds, _ = await run_pool(range(len(bodies)), 16, create)
        print(f"  created {len(bodies)} leads in {seconds:.1f} s ({len(bodies) / seconds:.0f}/s)")
        engine = make_engine(self.stack.database_url)
        try:
            with session_scope(engine) as session:
                rows = lead_repo.leads_by_ids_or_emails(session, {uuid.UUID(i) for i in ids}, ())
        finally:
            engine.dispose()
        by_id = {str(row.id): row for row in rows}
        self.cold = [by_id[i] for i in ids[:n_cold]]
        self.warm = [by_id[i] for i in ids[n_cold:]]
        # Every new lead gets its scenario's first mail: let the worker finish that work first.
        t0 = time.monotonic()
        await wait_quiet(self.stack, timeout=120.0)
        print(
            f"  worker idle {time.monotonic() - t0:.1f} s later "
            f"({len(self.stack.sink.messages)} welcome mails at the sink)"
        )

    # --- events -------------------------------------------------------------------------

    def next_events(self, count: int, kind: str) -> list[tuple[Lead, str]]:
        """`count` (lead, event_id) pairs, round-robin over the cold leads, never reused."""
        out = []
        for _ in range(count):
            lead = self.cold[self.seq % len(self.cold)]
            out.append((lead, f"bench-{self.run_tag}-{kind}-{self.seq}"))
            self.seq += 1
        return out

    async def send_raw(self, item: tuple[Lead, str]) -> None:
        lead, event_id = item
        event = BehaviourEvent(
            event_id=event_id, type=RATE_EVENT.value, occurred_at=datetime.now(UTC)
        )
        # The API's own per-event call: `client.start_workflow(LeadWorkflow.run, input_of(lead),
        # id=lead_workflow_id(lead.id), start_signal=BEHAVIOUR_SIGNAL, start_signal_args=[event])`
        # on this process's client, so raw and API differ by exactly the HTTP service.
        await deliver_event(self.client, self.settings, lead, event)

    async def signed_post(self, payload: Any) -> Reply:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            signing.HEADER: signing.sign(body, self.secret),
            "Content-Type": "application/json",
        }
        return await self.http.request("POST", "/v1/events", body, headers)

    async def send_api(self, items: Sequence[tuple[Lead, str]]) -> None:
        events = [
            {"event_id": event_id, "lead_id": str(lead.id), "type": RATE_EVENT.value}
            for lead, event_id in items
        ]
        r = await self.signed_post(events[0] if len(events) == 1 else events)
        if r.status != 202:
            raise BenchError(f"POST /v1/events answered {r.status}: {r.text[:300]}")

    async def rate_phase(self, kind: str, events: int, *, label: str | None = None) -> PhaseResult:
        items = self.next_events(events, kind)
        size = 1 if kind in ("raw", "api") else self.args.batch_size
        concurrency = self.args.batch_concurrency if kind == "batch" else self.args.concurrency
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        meter = CpuMeter(self.stack)
        start = meter.snapshot()
        if kind == "raw":
            seconds, latencies = await run_pool(items, concurrency, self.send_raw)
        else:
            seconds, latencies = await run_pool(chunks, concurrency, self.send_api)
        sent = meter.snapshot()
        self.sent += events
        drain = await wait_applied(self.stack, self.sent, timeout=max(120.0, events / 20))
        done = meter.snapshot()
        await asyncio.sleep(0.5)  # let the last workflow tasks complete before the next phase
        return PhaseResult(
            name=label or kind,
            kind=kind,
            events=events,
            requests=len(chunks),
            concurrency=concurrency,
            seconds=round(seconds, 3),
            events_per_s=round(events / seconds, 1),
            request_latency=distribution(latencies),
            in_flight_events=concurrency * size,
            drain_seconds=round(drain, 3),
            applied_per_s=round(events / (seconds + drain), 1),
            cpu_percent_sending=meter.percent(start, sent),
            cpu_ms_per_event={
                k: round(1000 * v / events, 2) for k, v in meter.used(start, done).items()
            },
        )

    # --- latency ------------------------------------------------------------------------

    async def score_latency(self, samples: int) -> dict[str, list[float]]:
        """Sequentially: POST one +1 event, poll the lead until the new score shows.

        The figure is taken when the GET that shows the score returns, so it is accurate to
        about one GET (their times are reported too).
        """
        pause = self.args.poll_interval_ms / 1000
        visible: list[float] = []
        acked: list[float] = []
        gets: list[float] = []
        expected: dict[str, int] = {}
        for i in range(samples):
            lead = self.cold[i % len(self.cold)]
            key = str(lead.id)
            if key not in expected:
                r = await self.http.get(f"/v1/leads/{key}", self.admin)
                expected[key] = int(r.json()["score"])
            expected[key] += 1
            event = {
                "event_id": f"bench-{self.run_tag}-score-{i}",
                "lead_id": key,
                "type": SCORE_EVENT.value,
            }
            t0 = time.perf_counter()
            r = await self.signed_post(event)
            acked.append(time.perf_counter() - t0)
            if r.status != 202:
                raise BenchError(f"POST /v1/events answered {r.status}: {r.text[:300]}")
            deadline = t0 + 15
            while True:
                t_get = time.perf_counter()
                g = await self.http.get(f"/v1/leads/{key}", self.admin)
                now = time.perf_counter()
                gets.append(now - t_get)
                if g.status != 200:
                    raise BenchError(f"GET /v1/leads/{key} answered {g.status}: {g.text[:300]}")
                if int(g.json()["score"]) >= expected[key]:
                    visible.append(now - t0)
                    break
                if time.perf_counter() > deadline:
                    raise BenchError(f"score of lead {key} not updated within 15 s")
                await asyncio.sleep(pause)
        self.sent += samples
        return {"score_visible": visible, "webhook_ack": acked, "lead_get": gets}

    async def mql_latency(self) -> list[float]:
        """Sequentially: the event that crosses the threshold -> the rep's mail at the sink."""
        out: list[float] = []
        for i, lead in enumerate(self.warm):
            before = len([m for m in self.stack.sink.messages if REP[1] in m.envelope_to])
            event = {
                "event_id": f"bench-{self.run_tag}-mql-{i}",
                "lead_id": str(lead.id),
                "type": QUALIFYING_EVENT.value,
            }
            t0 = time.time()
            r = await self.signed_post(event)
            if r.status != 202:
                raise BenchError(f"POST /v1/events answered {r.status}: {r.text[:300]}")
            mail = await asyncio.to_thread(self._wait_rep_mail, before, lead, 30.0)
            out.append(mail - t0)
        self.sent += len(self.warm)
        return out

    def _wait_rep_mail(self, before: int, lead: Lead, timeout: float) -> float:
        """When the rep's next mail arrived; it must name this lead (by email or name)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            count = len(self.stack.sink.messages)
            rep_mails = [m for m in self.stack.sink.messages if REP[1] in m.envelope_to]
            if len(rep_mails) > before:
                mail = rep_mails[before]
                text = f"{mail.subject}\n{mail.text()}"
                if lead.email not in text and lead.name not in text:
                    raise BenchError(f"the rep mail is about another lead: {mail.subject!r}")
                return mail.received_at
            self.stack.sink.wait_for(count + 1, min(0.5, deadline - time.monotonic()))
        raise BenchError(
            f"no rep mail for lead {lead.id} within {timeout:.0f} s (see the worker log)"
        )


# --- report ---------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        temporal_cli = subprocess.run(
            [find_binary("temporal"), "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        temporal_cli = "?"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": git_state(),
        "temporalio": metadata.version("temporalio"),
        "temporal_cli": temporal_cli,
        "fastapi": metadata.version("fastapi"),
        "uvicorn": metadata.version("uvicorn"),
    }


def git_state() -> str:
    """The commit measured, and whether the tree had uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return f"{commit}{' + uncommitted changes' if dirty else ''}"


def command_line(argv: Sequence[str]) -> str:
    return shlex.join([".venv/bin/python", "bench/ingest.py", *argv])


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


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
    if summary["max_other_cpu_percent"] > NOISY_OTHER_PERCENT:
        print(
            f"warning: other processes (or the hypervisor) took up to "
            f"{summary['max_other_cpu_percent']:.0f}% of a core during a phase; the rates are noisy"
        )
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
    cli = re.search(r"(\d+\.\d+\.\d+) \(Server (\d+\.\d+\.\d+)", m["temporal_cli"])
    server = f"Temporal CLI {cli[1]} (server {cli[2]})" if cli else "Temporal CLI"
    machine = (
        f"{m['nproc']} vCPU {m['cpu_model'] or ''}, Python {m['python']}, "
        f"temporalio {m['temporalio']}, {server} dev server in memory, SQLite"
    )
    noisy = ""
    if s["max_other_cpu_percent"] > NOISY_OTHER_PERCENT:
        noisy = f" (noisy: other processes took up to {s['max_other_cpu_percent']:.0f}% of a core)"
    return (
        f"Ingest, {result['date']} ({machine}; `{result['command']}`, "
        f"{c['events']} events per phase){noisy}: " + "; ".join(parts) + "."
    )


# --- main -------------------------------------------------------------------------------


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
                for key, values in (await bench.score_latency(args.latency_samples)).items():
                    latency[key] = distribution(values)
            except BenchError as err:
                errors.append(f"webhook -> score: {err}")
        if args.mql_samples:
            print(f"latency: {args.mql_samples} threshold-crossing events until the rep's mail")
            try:
                latency["rep_mail"] = distribution(await bench.mql_latency())
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


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """SIGTERM/SIGHUP unwind like Ctrl-C so the `finally` blocks stop every child."""

    def raise_interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, raise_interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def stopping_uninterrupted() -> Iterator[None]:
    """A second Ctrl-C must not cut the shutdown short and leave children running."""
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="nurture-bench-"))
    db_path = workdir / "nurture.db"
    stack = Stack(
        workdir=workdir,
        temporal_port=free_port(),
        api_port=free_port(),
        task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        database_url=f"sqlite:///{db_path}",
        db_path=db_path,
        sink=MailSink(host=LOOPBACK, port=0),
    )
    keep = args.keep
    with terminate_on_sigterm():
        try:
            stack.sink.start()
            result = asyncio.run(asyncio.wait_for(run(args, stack, argv), args.max_seconds))
        except KeyboardInterrupt:
            print("\ninterrupted; stopping the stack", file=sys.stderr)
            return 130
        except TimeoutError:
            print(
                f"error: the run took longer than --max-seconds {args.max_seconds:.0f}",
                file=sys.stderr,
            )
            keep = True
            return 1
        except BenchError as err:
            print(f"error: {err}", file=sys.stderr)
            keep = True
            return 1
        except BaseException:
            keep = True
            raise
        finally:
            with stopping_uninterrupted():
                stack.stop()
            if keep:
                print(f"logs and database kept in {workdir}", file=sys.stderr)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    print_report(result)
    for error in result["errors"]:
        print(f"error: {error}", file=sys.stderr)
    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"ingest-{result['date']}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {path.relative_to(ROOT)}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
