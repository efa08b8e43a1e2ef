"""Record workflow histories for the replay test: `.venv/bin/python -m tests.histories.record`.

Run it after a change that is meant to be compatible with running leads is NOT what you
want: record with the code that is in production, before changing workflow code, so the
replay test proves the new code still replays what production wrote.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from nurture.binaries import find_binary
from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.repo import reps
from nurture.settings import RepConfig, Settings
from nurture.temporal import register_search_attributes
from tests.factories import COLD_PROFILE, HOT_PROFILE, event, make_lead, start_lead
from worker import build_worker, prepare_database
from workflows.handoff import SalesHandoffWorkflow
from workflows.lead import LeadWorkflow
from workflows.models import SalesAction

HERE = Path(__file__).parent


async def main() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    with tempfile.TemporaryDirectory() as tmp, MailSink() as sink:
        settings = Settings(
            env="dev", database_url=f"sqlite:///{tmp}/h.db", smtp_host=sink.host,
            smtp_port=sink.port, task_queue=f"record-{uuid.uuid4()}", send_window=True,
            sales_reps=[RepConfig(name="Rep", email="rep@sales.example.com")],
        )  # fmt: skip
        engine = prepare_database(settings)
        async with build_worker(env.client, settings, engine):
            quiet = await start_lead(env.client, settings, make_lead(engine, **COLD_PROFILE))
            hot_lead = make_lead(engine, **HOT_PROFILE)
            hot = await start_lead(env.client, settings, hot_lead)
            await env.sleep(timedelta(days=1))
            await hot.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
            await env.sleep(timedelta(minutes=5))
            handoff = env.client.get_workflow_handle_for(
                SalesHandoffWorkflow.run, f"handoff-{hot_lead.id}-1"
            )
            with session_scope(engine) as session:
                rep_id = str(reps.find_rep(session, "rep@sales.example.com").id)
            await handoff.execute_update(SalesHandoffWorkflow.ack, SalesAction(rep_id=rep_id))
            await handoff.execute_update(
                SalesHandoffWorkflow.won, SalesAction(rep_id=rep_id, amount=1_000_000)
            )
            await env.sleep(timedelta(days=10))
            for name, handle in (("whitepaper-quiet", quiet), ("whitepaper-won", hot),
                                 ("handoff-won", handoff)):  # fmt: skip
                history = await handle.fetch_history()
                (HERE / f"{name}.json").write_text(history.to_json())
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
