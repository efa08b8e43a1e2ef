"""How `nurture import` hands its rows to the API: batches to `POST /v1/leads/bulk`, a few in
flight, paced by the workers.

The API answers a batch once Temporal holds its leads' work (nobody waits for a worker), so
sending as fast as the API answers would queue the whole file on the task queue and leave
the workers hours behind (a form's new lead then waits behind the load). The API refuses a
batch with 429 while the workers are too far behind (NURTURE_INTAKE_MAX_BACKLOG); the
importer then waits as long as it says and sends the batch again, so the file goes in at
the rate the workers absorb, and the progress bar's rate and ETA are that rate.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from nurture.lead_csv import Rejected

BATCH = 50  # rows per request: small enough for a smooth rate, large enough to save requests
RETRIES = 3  # a 5xx or a dropped connection; pacing waits (429) are not counted
GIVE_UP_WAITING_S = 300.0  # the workers absorbed nothing for this long: stop, say so
LOG_EVERY_S = 10.0  # a plain progress line this often when stderr is not a terminal (default)

Row = tuple[int, list[str], dict[str, Any]]  # line number, cells as read, request body


class ApiUnreachable(Exception):
    """The API cannot take the import at all (down, unhealthy, or the token refused)."""


@dataclass
class Outcome:
    imported: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    stopped: str | None = None  # why the API stopped answering mid-way


def batches(rows: list[Row], size: int = BATCH) -> list[tuple[list[Row], set[int]]]:
    """The rows in batches of `size`, each with the earlier batches it must wait for: those
    holding a row of the same person (by email), so that one's rows go in file order."""
    out: list[tuple[list[Row], set[int]]] = []
    last_batch_of: dict[str, int] = {}
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        index = len(out)
        after: set[int] = set()
        for _, _, body in chunk:
            email = str(body["email"]).lower()
            earlier = last_batch_of.get(email)
            if earlier is not None and earlier != index:
                after.add(earlier)
            last_batch_of[email] = index
        out.append((chunk, after))
    return out


def error_text(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


class Pace:
    """Rows done per second over the last WINDOW_S of wall time, pauses included (rich's own
    speed stands still while nothing advances, so a paced import's ETA would too)."""

    WINDOW_S = 60.0

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.samples: deque[tuple[float, float]] = deque([(self.started, 0.0)])

    def note(self, done: float) -> None:
        now = time.monotonic()
        self.samples.append((now, done))
        while len(self.samples) > 2 and self.samples[1][0] < now - self.WINDOW_S:
            self.samples.popleft()

    def rate(self, done: float) -> float | None:
        """None until a few seconds have passed: too early to say."""
        now = time.monotonic()
        since, then = self.samples[0]
        if now - since < 2.0:
            return None
        return (done - then) / (now - since)

    def eta(self, done: float, total: float) -> float | None:
        rate = self.rate(done)
        return (total - done) / rate if rate else None


class RateColumn(ProgressColumn):
    """Leads per second and the ETA, from the Pace: the rate the workers absorb."""

    def __init__(self, pace: Pace) -> None:
        super().__init__()
        self.pace = pace

    def render(self, task: Task) -> Text:
        rate = self.pace.rate(task.completed)
        eta = self.pace.eta(task.completed, task.total or 0)
        words = f"{rate:5.1f} leads/s" if rate is not None else "  ... leads/s"
        words += f"  ETA {_clock(eta)}" if eta is not None else "  ETA -:--:--"
        return Text(words, style="progress.data")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


class Sender:
    """Sends the batches and counts the answers (one import run)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base: str,
        token: str,
        outcome: Outcome,
        concurrency: int,
        log_every: float = LOG_EVERY_S,
    ) -> None:
        self.http = http
        self.url = f"{base}/v1/leads/bulk"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.outcome = outcome
        self.gate = asyncio.Semaphore(concurrency)
        self.waiting = ""  # what the importer waits for now (shown beside the bar)
        self.last_progress = time.monotonic()
        self.log_every = log_every
        self.pace = Pace()

    async def send_all(self, rows: list[Row], total: int, done_before: int) -> None:
        plan = batches(rows)
        finished = [asyncio.Event() for _ in plan]
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            RateColumn(self.pace),
            TextColumn("{task.fields[waiting]}"),
            console=Console(stderr=True),
        ) as progress:
            task = progress.add_task("importing leads", total=total, waiting="")
            progress.advance(task, done_before)
            self.pace.note(done_before)
            plain = not sys.stderr.isatty()
            log = _PlainLog(progress, self.pace, self.log_every) if plain else None

            def advance(n: int) -> None:
                progress.update(task, advance=n, waiting=self.waiting)
                self.pace.note(progress.tasks[0].completed)

            async def one(i: int) -> None:
                chunk, after = plan[i]
                for j in sorted(after):
                    await finished[j].wait()
                async with self.gate:
                    await self._batch(chunk, advance)
                finished[i].set()

            ticker = asyncio.create_task(log.every_so_often(self)) if log else None
            try:
                await asyncio.gather(*(one(i) for i in range(len(plan))))
            finally:
                if ticker is not None:
                    ticker.cancel()
            if log is not None:
                log.line("done")

    async def _batch(self, chunk: list[Row], advance: Callable[[int], None]) -> None:
        outcome = self.outcome

        def not_sent() -> None:
            why = f"not sent: {outcome.stopped}"
            outcome.rejected.extend(Rejected(line, cells, why) for line, cells, _ in chunk)
            advance(len(chunk))

        if outcome.stopped is not None:
            return not_sent()
        pending = chunk
        for attempt in range(RETRIES + 1):
            try:
                response = await self._post([body for _, _, body in pending])
            except httpx.TransportError as err:
                outcome.stopped = outcome.stopped or f"the API stopped answering ({err})"
                chunk = pending
                return not_sent()
            except _GaveUp as err:
                outcome.stopped = outcome.stopped or str(err)
                chunk = pending
                return not_sent()
            rows = _per_row(response) if response.status_code in (202, 207, 422) else None
            if rows is None:
                reason = f"API {response.status_code}: {error_text(response)}"
                outcome.rejected.extend(Rejected(ln, c, reason) for ln, c, _ in pending)
                break
            again: list[Row] = []
            for item, row in zip(pending, rows, strict=True):
                line, cells, _ = item
                if row["status"] != "rejected":
                    outcome.imported += bool(row.get("created"))
                    outcome.updated += not row.get("created")
                elif row.get("http_status") == 503 and attempt < RETRIES:
                    again.append(item)  # stored or not, the same row again is the same lead
                else:
                    reason = f"API {row.get('http_status')}: {row.get('reason')}"
                    outcome.rejected.append(Rejected(line, cells, reason))
            if not again:
                break
            pending = again
            await asyncio.sleep(0.5 * 2**attempt)
        self.last_progress = time.monotonic()
        advance(len(chunk))

    async def _post(self, bodies: list[dict[str, Any]]) -> httpx.Response:
        """The answer to one batch: sent again while the API paces us (429, as long as it
        asks) and on a 5xx or a dropped connection (RETRIES times)."""
        attempt = 0
        while True:
            try:
                response = await self.http.post(
                    self.url, json={"leads": bodies}, headers=self.headers
                )
            except httpx.TransportError:
                if attempt == RETRIES:
                    raise
                response = None
            if response is not None and response.status_code == 429:
                wait = retry_after(response)
                self.waiting = f"waiting for the workers: {error_text(response)}"
                if time.monotonic() - self.last_progress > GIVE_UP_WAITING_S:
                    raise _GaveUp(
                        f"the workers took nothing for {GIVE_UP_WAITING_S:.0f} s "
                        f"({error_text(response)}); is a worker running?"
                    )
                await asyncio.sleep(wait)
                continue
            self.waiting = ""
            if response is not None and (response.status_code < 500 or attempt == RETRIES):
                return response
            await asyncio.sleep(0.5 * 2**attempt)
            attempt += 1


class _GaveUp(Exception):
    pass


def _per_row(response: httpx.Response) -> list[dict[str, Any]] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    rows = data.get("rows") if isinstance(data, dict) else None
    if rows is None and isinstance(data, dict):  # 422: every row's outcome in the details
        rows = data.get("error", {}).get("details")
    return rows if isinstance(rows, list) and rows and "status" in rows[0] else None


def retry_after(response: httpx.Response, longest: float = 30.0) -> float:
    """The seconds the API asked to wait (its `Retry-After`), within 0.2 s and `longest`."""
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.2), longest)
    except ValueError:
        return 1.0


class _PlainLog:
    """Progress as plain lines for a log file (stderr not a terminal): done, rate, ETA."""

    def __init__(self, progress: Progress, pace: Pace, every: float) -> None:
        self.progress = progress
        self.pace = pace
        self.every = every

    async def every_so_often(self, sender: Sender) -> None:
        while True:
            await asyncio.sleep(self.every)
            self.line(sender.waiting)

    def line(self, note: str) -> None:
        task = self.progress.tasks[0]
        rate = self.pace.rate(task.completed) or 0.0
        total = task.total or 0
        eta = 0.0 if task.completed >= total else self.pace.eta(task.completed, total)
        eta_text = f"{eta:.0f} s" if eta is not None else "unknown"
        typer.echo(
            f"progress: {task.completed:.0f}/{task.total:.0f} rows, {rate:.1f} leads/s, "
            f"ETA {eta_text}" + (f" ({note})" if note else ""),
            err=True,
        )
