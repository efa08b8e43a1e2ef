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

from nurture.models import lead_workflow_id
from scenarios import SCENARIOS
from tests.utils.factories import load, make_lead
from tests.utils.stack import ApiServer

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
    assert _message(r).startswith("type: unknown event type 'hug'; one of: whitepaper_download, ")
    assert "pricing_page_view" in _message(r)
    assert r.json()["error"]["details"][0]["field"] == "type"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            [{"event_id": "e1", "email": "a@b.example.com", "type": "foo"}],
            "events[0].type: unknown event type 'foo'; one of: whitepaper_download",
        ),
        (
            [
                {"event_id": "e1", "email": "a@b.example.com", "type": "page_view"},
                {"event_id": "e2", "type": "page_view"},
            ],
            "events[1]: each event needs a lead_id or an email",
        ),
        (
            [
                {
                    "event_id": "e1",
                    "email": "a@b.example.com",
                    "type": "page_view",
                    "occurred_at": "yesterday",
                }
            ],
            "events[0].occurred_at: must be an ISO 8601 date-time",
        ),
        ([{"email": "a@b.example.com", "type": "page_view"}], "events[0].event_id: is required"),
        (
            {"event_id": "e1", "lead_id": "not-a-uuid", "type": "page_view"},
            "lead_id: 'not-a-uuid' is not a UUID",
        ),
        (
            {"event_id": "e1", "email": "a@b.example.com", "type": "page_view", "properties": []},
            "properties: must be a JSON object",
        ),
        ([], "the list of events is empty; send at least one"),
        ("page_view", "the body must be an event (a JSON object) or a list of events"),
        ([["nested"]], "events[0]: must be a JSON object"),
    ],
)
async def test_event_errors_name_the_field_in_plain_words(
    stack: ApiServer, http: httpx.AsyncClient, payload: Any, expected: str
) -> None:
    r = await _post_events(http, stack, payload)
    assert r.status_code == 422, r.text
    assert _message(r).startswith(expected), _message(r)
    assert "function-after" not in r.text and "Input should" not in r.text


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
    fields = [d["field"] for d in r.json()["error"]["details"]]
    assert fields == ["events[1].lead_id", "events[2].email"]
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
        (
            [
                {"event_id": f"e{i}", "email": "a@b.example.com", "type": "page_view"}
                for i in range(1001)
            ],
            413,
            "at most 1000",
        ),
        (
            {
                "event_id": "e1",
                "email": "a@b.example.com",
                "type": "page_view",
                "properties": {"blob": "x" * 20_000},
            },
            422,
            "at most 16384 bytes",
        ),
        (b"[" + b" " * (1024 * 1024) + b"]", 413, "larger than 1048576 bytes"),
    ],
)
async def test_malformed_events_are_refused(
    stack: ApiServer, http: httpx.AsyncClient, payload: Any, status: int, expected: str
) -> None:
    r = await _post_events(http, stack, payload)
    assert r.status_code == status, r.text
    assert expected in _message(r)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "a valid admin bearer token or a webhook signature is required"),
        ({"Authorization": "Bearer wrong"}, "the bearer token is not the admin token"),
        ({"Authorization": "Bearer dev-rep-1"}, "the bearer token is not the admin token"),
        ({"Authorization": "dev-admin-token"}, "must read 'Bearer <token>'"),
    ],
)
async def test_lead_intake_requires_a_token_or_a_signature(
    stack: ApiServer, http: httpx.AsyncClient, headers: dict[str, str], expected: str
) -> None:
    r = await http.post("/v1/leads", json=GOOD_LEAD, headers=headers)
    assert r.status_code == 401
    assert expected in _message(r) and "X-Nurture-Signature" in _message(r)
    assert "Authorization: Bearer <token>" in _message(r)
    assert (await http.get("/v1/leads", headers=stack.admin)).json()["total"] == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"email": "not-an-email"}, "email"),
        (
            {"scenario": "cold-calling"},
            f"unknown scenario 'cold-calling'; known: {', '.join(sorted(SCENARIOS))}",
        ),
        ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"company_size": -3}, "company_size"),
        ({"scenario": None}, "scenario: must be a string"),
        (
            {"attributes": {"language": "fr"}},
            "attributes: language 'fr' is not one we write mail in; one of: en, ja",
        ),
        ({"attributes": {"language": 7}}, "one of: en, ja"),
        ({"jobtitle": "CEO"}, "jobtitle: is not a known field"),  # its points were lost
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
    body = json.dumps({**GOOD_LEAD, "attributes": {"language": "ja-JP"}}).encode()
    r = await http.post("/v1/leads", content=body, headers=stack.signed(body))
    assert r.status_code == 201, r.text


async def test_lead_state_needs_the_admin_token_and_a_known_id(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    missing = uuid.uuid4()
    r = await http.get(f"/v1/leads/{missing}")
    assert r.status_code == 401 and "a bearer token is required" in _message(r)
    r = await http.get(f"/v1/leads/{missing}", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "unknown or disabled rep token" in _message(r)
    r = await http.get(f"/v1/leads/{missing}", headers=stack.admin)
    assert r.status_code == 404 and str(missing) in _message(r)
    r = await http.get("/v1/leads/not-a-uuid", headers=stack.admin)
    assert r.status_code == 422 and _message(r) == "lead_id: 'not-a-uuid' is not a UUID"


async def test_lead_list_names_bad_filters_and_wrong_tokens(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    r = await http.get("/v1/leads", params={"stage": "hot", "limit": 0}, headers=stack.admin)
    assert r.status_code == 422
    assert _message(r).startswith("stage: 'hot' is not one of 'new', 'nurturing'")
    assert "limit: must be at least 1" in _message(r)
    r = await http.get("/v1/leads")
    assert r.status_code == 401 and "an admin bearer token is required" in _message(r)
    r = await http.get("/v1/leads", headers={"Authorization": "Bearer dev-rep-1"})
    assert r.status_code == 401 and "not the admin token" in _message(r)


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "expected"),
    [
        ("GET", "/v1/nothing-here", 404, "not_found", "no endpoint /v1/nothing-here"),
        ("DELETE", "/v1/leads", 405, "method_not_allowed", "DELETE is not allowed on /v1/leads"),
    ],
)
async def test_unknown_routes_answer_in_the_error_envelope(
    stack: ApiServer,
    http: httpx.AsyncClient,
    method: str,
    path: str,
    status: int,
    code: str,
    expected: str,
) -> None:
    r = await http.request(method, path)
    assert r.status_code == status
    assert list(r.json()) == ["error"] and r.json()["error"]["code"] == code
    assert _message(r).startswith(expected)


async def test_healthz_reports_each_dependency(stack: ApiServer, http: httpx.AsyncClient) -> None:
    r = await http.get("/healthz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"api": "ok", "database": "ok", "temporal": "ok"}
