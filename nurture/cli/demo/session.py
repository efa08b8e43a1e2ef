"""What the parts of one demo run share: the API and its credentials, the seed, the demo
leads so far, the tasks started, the tally, and when something last happened (the run ends
once nothing has for a while)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from nurture.cli.demo.population import Reader
from nurture.cli.demo.summary import Summary
from nurture.cli.import_send import retry_after

POLL_SECONDS = 0.5
TRIES = 5  # a write answered 503 (database busy) is sent again: the API makes that safe


class DemoError(Exception):
    """The stack did not behave; the message says what happened."""


@dataclass(frozen=True)
class Api:
    base: str
    admin: str
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}


@dataclass
class DemoSession:
    http: httpx.AsyncClient
    api: Api
    seed: int
    summary: Summary
    readers: dict[str, Reader] = field(default_factory=dict)  # by email
    lead_ids: set[str] = field(default_factory=set)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    last_news: float = field(default_factory=time.monotonic)

    def news(self) -> None:
        """Something happened: the run is not settled yet."""
        self.last_news = time.monotonic()

    async def send(self, method: str, url: str, **request: Any) -> httpx.Response:
        """A write, repeated after the Retry-After the API gives with a 503 (the database was
        busy): a repeat of a campaign, a lead, an event batch or a sales action records it
        once."""
        for _ in range(1, TRIES):
            r = await self.http.request(method, url, **request)
            if r.status_code != httpx.codes.SERVICE_UNAVAILABLE:
                return r
            await asyncio.sleep(retry_after(r, longest=10.0))
        return await self.http.request(method, url, **request)

    def problem(self, what: str, r: httpx.Response | Exception) -> None:
        detail = f"{r.status_code} {r.text[:200]}" if isinstance(r, httpx.Response) else repr(r)
        self.summary.problems.append(f"{what}: {detail}")

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Start `work` (a mail read, a handoff worked); the run waits for it to finish."""
        self.tasks.append(asyncio.create_task(work))
