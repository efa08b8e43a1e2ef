"""`POST /v1/leads/bulk` on the real stack: leads taken without waiting for a worker, their
first mails at the SMTP sink, the same rows again changing nothing, bad rows answered one by
one, the waiting intake's created/updated still right, and the pacing 429."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from nurture.mailsink import MailSink
from nurture.settings import Settings
from tests.utils.api import lead_when
from tests.utils.stack import ApiServer, serve_api


def lead(email: str, **fields: Any) -> dict[str, Any]:
    return {"email": email, "name": "Bulk Lead", "scenario": "whitepaper", **fields}


async def mails_to(sink: MailSink, address: str, count: int, timeout: float = 20) -> int:
    """How many mails reached `address`, once at least `count` did (or the time ran out)."""
    deadline = time.monotonic() + timeout
    while True:
        got = sum(address in m.envelope_to for m in sink.messages)
        if got >= count or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.1)


async def test_bulk_leads_are_taken_without_waiting_and_get_their_first_mail(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink
) -> None:
    tag = uuid.uuid4().hex[:6]
    ann, bob = f"ann-{tag}@bulk.example.com", f"bob-{tag}@bulk.example.com"
    body = {
        "leads": [
            lead(ann, job_title="Engineer"),
            lead("not-an-email"),
            lead(bob, scenario="no-such-scenario"),
            lead(bob.upper(), company_size=500),
        ]
    }
    r = await http.post("/v1/leads/bulk", json=body, headers=stack.admin)
    assert r.status_code == 207, r.text
    answer = r.json()
    assert (answer["accepted"], answer["halted"], answer["rejected"]) == (2, 0, 2)
    rows = answer["rows"]
    assert [row["status"] for row in rows] == ["accepted", "rejected", "rejected", "accepted"]
    assert rows[0]["created"] and rows[3]["created"]
    assert rows[1]["http_status"] == 422 and "email" in rows[1]["reason"]
    assert rows[2]["http_status"] == 422
    assert "unknown scenario 'no-such-scenario'" in rows[2]["reason"]
    assert isinstance(answer["backlog"], int)

    assert await mails_to(smtp, ann, 1) == 1
    assert await mails_to(smtp, bob, 1) == 1
    bob_state = await lead_when(http, stack, rows[3]["id"], lambda s: s["score"] == 10)
    assert (bob_state["stage"], bob_state["score"]) == ("nurturing", 10)  # sweet-spot size

    # The same rows again (a re-run): nothing new, nothing sent twice; a changed title is
    # applied by the intake signal, and the waiting intake then says "updated".
    again = {"leads": [lead(ann, job_title="CTO"), lead(bob, company_size=500)]}
    r = await http.post("/v1/leads/bulk", json=again, headers=stack.admin)
    assert r.status_code == 202, r.text
    rows_again = r.json()["rows"]
    assert [(row["id"], row["created"]) for row in rows_again] == [
        (rows[0]["id"], False),
        (rows[3]["id"], False),
    ]
    ann_state = await lead_when(http, stack, rows[0]["id"], lambda s: s["score"] == 20)
    assert ann_state["job_title"] == "CTO" and ann_state["score"] == 20  # decision maker
    waited = await http.post("/v1/leads", json=lead(bob, company_size=500), headers=stack.admin)
    assert waited.status_code == 200, waited.text  # answered after the signal was taken
    assert waited.json()["created"] is False
    listed = await http.get("/v1/leads", params={"limit": 500}, headers=stack.admin)
    emails = [item["email"] for item in listed.json()["items"]]
    assert emails.count(ann) == 1 and emails.count(bob) == 1
    assert await mails_to(smtp, ann, 1) == 1
    assert await mails_to(smtp, bob, 1) == 1


async def test_the_waiting_intake_still_says_created_then_updated(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    email = f"wait-{uuid.uuid4().hex[:6]}@bulk.example.com"
    first = await http.post("/v1/leads", json=lead(email), headers=stack.admin)
    assert first.status_code == 201 and first.json()["created"] is True
    r = await http.post("/v1/leads/bulk", json={"leads": [lead(email)]}, headers=stack.admin)
    assert r.status_code == 202 and r.json()["rows"][0]["created"] is False
    second = await http.post("/v1/leads", json=lead(email), headers=stack.admin)
    assert second.status_code == 200 and second.json()["created"] is False


async def test_bad_bodies_are_refused_whole(stack: ApiServer, http: httpx.AsyncClient) -> None:
    cases = [
        ({"leads": []}, 422),
        ({"rows": [lead("a@bulk.example.com")]}, 422),
        ({"leads": [lead("x@bulk.example.com")] * 501}, 413),
        ({"leads": ["not an object"]}, 422),  # every row rejected: nothing was taken
    ]
    for body, status in cases:
        r = await http.post("/v1/leads/bulk", json=body, headers=stack.admin)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]["message"]
    r = await http.post("/v1/leads/bulk", json={"leads": [lead("y@bulk.example.com")]})
    assert r.status_code == 401


async def test_a_load_waits_while_the_workers_are_behind(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    """No worker polls this task queue: the first batch is taken (nothing waits yet), then
    its leads' first tasks wait, and the next batch is refused until a worker takes them."""
    alone = settings.model_copy(
        update={"task_queue": f"nobody-{uuid.uuid4().hex[:6]}", "intake_max_backlog": 2}
    )
    async with (
        serve_api(dev_env.client, alone) as api,
        httpx.AsyncClient(base_url=api.base_url, timeout=30) as http,
    ):
        tag = uuid.uuid4().hex[:6]
        batch = {"leads": [lead(f"q{n}-{tag}@bulk.example.com") for n in range(3)]}
        r = await http.post("/v1/leads/bulk", json=batch, headers=api.admin)
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 20  # the server's backlog count is approximate, late
        while True:
            r = await http.post(
                "/v1/leads/bulk",
                json={"leads": [lead(f"later-{tag}@bulk.example.com")]},
                headers=api.admin,
            )
            if r.status_code != 202 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert r.status_code == 429, r.text
        assert r.headers["Retry-After"] == "1"
        error = r.json()["error"]
        assert error["code"] == "workers_behind" and "tasks behind" in error["message"]
        assert error["details"]["backlog"] >= 2
