"""Nobody to assign is not invisible: a lead no rep can take says so, and is assigned within
seconds of a rep becoming available through the CLI, as an operator would do it."""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy.engine import Engine
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink, ReceivedMail
from nurture.models import lead_workflow_id
from nurture.settings import Settings
from tests.utils.api import lead_when
from tests.utils.stack import ApiServer
from tests.utils.waiting import a_lead_waiting_for_a_rep, disable_every_rep, notes, run_nurture

WAITING = "WorkflowType='SalesHandoffWorkflow' AND HandoffState='waiting_for_rep'"


async def _listed(client: Client, query: str, workflow_id: str, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if workflow_id in [w.id async for w in client.list_workflows(query)]:
            return True
        await asyncio.sleep(0.2)
    return False


async def _details(client: Client, workflow_id: str) -> str:
    """The workflow's current details, as the Temporal UI asks for them."""
    handle = client.get_workflow_handle(workflow_id)
    meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return str(meta.current_details)


async def _mail_to(smtp: MailSink, address: str, timeout: float = 30) -> list[ReceivedMail]:
    """The mails to `address`, once there is one (the lead's own mail arrives meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in smtp.messages if m.to == address]
        if found:
            return found
        await asyncio.sleep(0.1)
    return []


async def test_a_lead_nobody_can_take_waits_visibly_and_goes_out_when_a_rep_is_enabled(
    dev_env: WorkflowEnvironment,
    stack: ApiServer,
    http: httpx.AsyncClient,
    engine: Engine,
    settings: Settings,
    smtp: MailSink,
) -> None:
    client = dev_env.client
    disable_every_rep(engine)
    lead_id, lead = await a_lead_waiting_for_a_rep(
        http, stack, "waits@customer.example.com", timeout=15
    )
    handoff_id = f"handoff-{lead_id}-1"

    # The operator sees it without reading a worker log: the lead's timeline, the lead's and
    # the handoff's details in the Temporal UI, a search for waiting handoffs.
    assert lead["stage"] == "mql", lead["stage"]
    assert any("waiting for a sales rep" in t for t in notes(lead)), notes(lead)
    assert await _listed(client, WAITING, handoff_id)
    lead_details = await _details(client, lead_workflow_id(lead_id))
    assert lead_details.startswith("waiting for a sales rep"), lead_details
    assert (await _details(client, handoff_id)).startswith("waiting for a sales rep")

    # The manager on record is told, once, in words an operator can act on.
    told = await _mail_to(smtp, "boss@sales.example.com")
    assert len(told) == 1, [(m.to, m.subject) for m in smtp.messages]
    assert "Ono Ren (Ono Kogyo)" in told[0].subject and "waiting" in told[0].subject
    assert "nurture reps enable" in told[0].text()

    # Enabling a rep assigns the lead at once, not on the next hourly try (an hour away:
    # the wait below would run out long before).
    done = run_nurture(settings, client, "reps", "enable", "rep.two@sales.example.com")
    assert done.returncode == 0, done.stderr
    assert "being assigned now" in done.stdout, done.stdout
    lead = await lead_when(http, stack, lead_id, lambda s: s["stage"] == "sales_pending", 60)
    assert lead["stage"] == "sales_pending", lead["stage"]
    assert await _listed(client, "HandoffState='pending'", handoff_id)
    rep_mail = await _mail_to(smtp, "rep.two@sales.example.com")
    assert len(rep_mail) == 1
    assert len([m for m in smtp.messages if m.to == "boss@sales.example.com"]) == 1
