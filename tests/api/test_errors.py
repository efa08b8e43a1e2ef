"""Every refusal names what is wrong, and refused input changes nothing."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from tests.conftest import ApiServer
from tests.factories import load, make_lead
from workflows.models import lead_workflow_id

GOOD_LEAD = {"email": "x@customer.example.com", "name": "X", "scenario": "whitepaper"}


def _message(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"])


async def _post_events(
    http: httpx.AsyncClient, api: ApiServer, payload: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await http.post("/v1/events", content=body, headers=headers or api.signed(body))


@pytest.fixture
def known_lead(engine: Engine) -> str:
    return str(make_lead(engine).id)


async def test_unknown_event_type_is_422_naming_the_allowed_ones(
    stack: ApiServer, http: httpx.AsyncClient, known_lead: str
) -> None:
    r = await _post_events(http, stack, {"event_id": "e1", "lead_id": known_lead, "type": "hug"})
    assert r.status_code == 422
    assert "type" in _message(r) and "pricing_page_view" in _message(r)


async def test_unknown_lead_is_404_and_nothing_of_the_batch_is_taken(
    stack: ApiServer,
    http: httpx.AsyncClient,
    known_lead: str,
    engine: Engine,
    dev_env: WorkflowEnvironment,
) -> None:
    stranger = str(uuid.uuid4())
    r = await _post_events(
        http,
        stack,
        [
            {"event_id": "e1", "lead_id": known_lead, "type": "pricing_page_view"},
            {"event_id": "e2", "lead_id": stranger, "type": "page_view"},
            {"event_id": "e3", "email": "nobody@nowhere.example.com", "type": "page_view"},
        ],
    )
    assert r.status_code == 404
    assert "2 event(s) name an unknown lead" in _message(r)
    assert [d["field"] for d in r.json()["error"]["details"]] == ["1", "2"]
    # Nothing reached Temporal: delivering the valid event would have started its workflow.
    with pytest.raises(RPCError) as missing:
        await dev_env.client.get_workflow_handle(lead_workflow_id(known_lead)).describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND
    assert load(engine, uuid.UUID(known_lead)).score == 0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "missing X-Nurture-Signature"),
        ({"X-Nurture-Signature": "garbage"}, "malformed"),
        ({"X-Nurture-Signature": f"t={int(time.time())},v1={'0' * 64}"}, "does not match"),
        ({"X-Nurture-Signature": f"t={'9' * 400},v1={'0' * 64}"}, "numeric t"),
        ({"X-Nurture-Signature": f"t={int(time.time())},v1=\u00e9".encode("latin-1")}, "match"),
    ],
)
async def test_bad_signature_is_401(
    stack: ApiServer,
    http: httpx.AsyncClient,
    known_lead: str,
    headers: dict[str, str | bytes],
    expected: str,
) -> None:
    body = json.dumps({"event_id": "e1", "lead_id": known_lead, "type": "page_view"}).encode()
    raw = {k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in headers.items()}
    r = await http.post("/v1/events", content=body, headers=raw)
    assert r.status_code == 401 and expected in _message(r)


async def test_signature_of_another_body_is_401(
    stack: ApiServer, http: httpx.AsyncClient, known_lead: str
) -> None:
    signed_for = json.dumps({"event_id": "e1", "lead_id": known_lead, "type": "page_view"})
    sent = signed_for.replace("page_view", "pricing_page_view").encode()
    r = await http.post("/v1/events", content=sent, headers=stack.signed(signed_for.encode()))
    assert r.status_code == 401 and "does not match" in _message(r)


async def test_stale_signature_is_401(
    stack: ApiServer, http: httpx.AsyncClient, known_lead: str
) -> None:
    body = json.dumps({"event_id": "e1", "lead_id": known_lead, "type": "page_view"}).encode()
    r = await http.post(
        "/v1/events", content=body, headers=stack.signed(body, int(time.time()) - 600)
    )
    assert r.status_code == 401 and "tolerance 300 s" in _message(r)


@pytest.mark.parametrize(
    ("payload", "status", "expected"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "empty"),
        ({"event_id": "e1", "type": "page_view"}, 422, "lead_id or an email"),
        ({"lead_id": "not-a-uuid", "event_id": "e1", "type": "page_view"}, 422, "lead_id"),
        ({"event_id": "", "email": "a@b.example.com", "type": "page_view"}, 422, "event_id"),
        ([{"event_id": f"e{i}", "email": "a@b.example.com", "type": "page_view"}
          for i in range(1001)], 413, "at most 1000"),
        ({"event_id": "e1", "email": "a@b.example.com", "type": "page_view",
          "properties": {"blob": "x" * 20_000}}, 422, "at most 16384 bytes"),
        (b"[" + b" " * (1024 * 1024) + b"]", 413, "larger than 1048576 bytes"),
    ],
)  # fmt: skip
async def test_malformed_events_are_refused(
    stack: ApiServer, http: httpx.AsyncClient, payload: Any, status: int, expected: str
) -> None:
    r = await _post_events(http, stack, payload)
    assert r.status_code == status, r.text
    assert expected in _message(r)


async def test_lead_intake_requires_a_token_or_a_signature(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    r = await http.post("/v1/leads", json=GOOD_LEAD)
    assert r.status_code == 401
    r = await http.post("/v1/leads", json=GOOD_LEAD, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"email": "not-an-email"}, "email"),
        (
            {"scenario": "cold-calling"},
            "unknown scenario 'cold-calling'; known: newsletter, recycle, webinar, whitepaper",
        ),
        ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"company_size": -3}, "company_size"),
        ({"scenario": None}, "scenario"),
    ],
)
async def test_invalid_leads_are_422(
    stack: ApiServer, http: httpx.AsyncClient, change: dict[str, Any], expected: str
) -> None:
    body = {**GOOD_LEAD, **change}
    r = await http.post("/v1/leads", json=body, headers=stack.admin)
    assert r.status_code == 422, r.text
    assert expected in _message(r)
    listed = await http.get("/v1/leads", headers=stack.admin)
    assert listed.json()["total"] == 0


async def test_signed_lead_intake_is_accepted(stack: ApiServer, http: httpx.AsyncClient) -> None:
    body = json.dumps(GOOD_LEAD).encode()
    r = await http.post("/v1/leads", content=body, headers=stack.signed(body))
    assert r.status_code == 201, r.text


async def test_lead_state_needs_the_admin_token_and_a_known_id(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    missing = uuid.uuid4()
    assert (await http.get(f"/v1/leads/{missing}")).status_code == 401
    r = await http.get(f"/v1/leads/{missing}", headers=stack.admin)
    assert r.status_code == 404 and str(missing) in _message(r)
    r = await http.get("/v1/leads/not-a-uuid", headers=stack.admin)
    assert r.status_code == 422


async def test_healthz_reports_each_dependency(stack: ApiServer, http: httpx.AsyncClient) -> None:
    r = await http.get("/healthz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"api": "ok", "database": "ok", "temporal": "ok"}
