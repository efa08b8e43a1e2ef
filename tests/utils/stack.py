"""The real parts a test runs against: a worker on its own task queue, the API on a free port."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from api.main import create_app
from nurture import signing
from nurture.mailsink import MailSink, free_port
from nurture.settings import RepConfig, Settings
from worker import build_worker

SITE_URL = "https://www.site.test"  # the company's website the tests' mails link to
REPS = [
    RepConfig(name="Rep One", email="rep.one@sales.example.com", manager="boss@sales.example.com"),
    RepConfig(name="Rep Two", email="rep.two@sales.example.com"),
    RepConfig(name="Rep Three", email="rep.three@sales.example.com"),
]  # dev tokens dev-rep-1, dev-rep-2, dev-rep-3


def suite_settings(database: Path, sink: MailSink, **more: Any) -> Settings:
    """The settings every stack of the suite runs on: a SQLite file, the sink, the test reps
    and site, mail at once (tests of the send window turn it on); `more` on top."""
    return Settings(
        env="dev",
        database_url=f"sqlite:///{database}",
        smtp_host=sink.host,
        smtp_port=sink.port,
        task_queue=f"test-{uuid.uuid4()}",
        sales_reps=REPS,
        public_url="http://nurture.test",
        site_url=SITE_URL,
        send_window=False,
        **more,
    )


@asynccontextmanager
async def running_worker(
    client: Client, settings: Settings, engine: Engine
) -> AsyncIterator[Worker]:
    worker = build_worker(client, settings, engine)
    async with worker:
        yield worker


class ApiServer:
    """The real app served by uvicorn on a free port, for tests that speak HTTP."""

    def __init__(self, base_url: str, settings: Settings) -> None:
        self.base_url = base_url
        self.settings = settings
        self.admin = {"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"}

    def signed(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        secret = self.settings.webhook_secret.get_secret_value()
        return {
            signing.HEADER: signing.sign(body, secret, timestamp),
            "Content-Type": "application/json",
        }


@asynccontextmanager
async def serve_api(client: Client, settings: Settings) -> AsyncIterator[ApiServer]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, client=client), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield ApiServer(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        await task
