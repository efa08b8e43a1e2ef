"""The optional outbound sales webhook: signed, retried until the receiver takes it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture import signing
from nurture.mailsink import MailSink
from nurture.settings import Settings
from tests.utils.factories import HOT_PROFILE, event, make_lead, start_lead
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow


class Receiver:
    """A real HTTP endpoint that fails its first `failures` requests, then accepts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: list[tuple[int, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if len(receiver.requests) < receiver.failures else 204
                receiver.requests.append((status, dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=1)
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()


async def test_handoff_is_posted_signed_and_retried(
    ts_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    smtp: MailSink,
    receiver: Receiver,
) -> None:
    hooked = Settings.model_validate(
        {
            **settings.model_dump(),
            "sales_webhook_url": receiver.url,
            "sales_webhook_secret": "crm-secret",
        }
    )
    lead = make_lead(engine, **HOT_PROFILE)
    async with running_worker(ts_env.client, hooked, engine):
        handle = await start_lead(ts_env.client, hooked, lead)
        await handle.signal(LeadWorkflow.behaviour, event("pricing_page_view"))
        for _ in range(100):  # the first POST fails; the retry comes after its backoff
            await ts_env.sleep(timedelta(seconds=5))
            if any(status == 204 for status, _, _ in receiver.requests):
                break
            await asyncio.sleep(0.05)

    assert [status for status, _, _ in receiver.requests] == [500, 204]
    _, headers, body = receiver.requests[-1]
    signing.verify(headers[signing.HEADER], body, "crm-secret", tolerance=10**9)
    payload = json.loads(body)
    assert payload["event"] == "handoff.assigned"
    assert payload["lead"]["id"] == str(lead.id) and payload["lead"]["company"] == "Acme KK"
    assert payload["rep"]["name"] == "Rep One" and payload["priority"] == "normal"
    assert headers["Idempotency-Key"] == f"handoff-{lead.id}-1:1:assigned"
