"""Input is taken exactly as the OpenAPI document describes it (each case found by the fuzzer).

pydantic alone took `to=0` as 1 January 1970, `true` as a company of one, an unknown field
or a `reason` on an ack as nothing; the last day of the calendar was a 500.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.utils.stack import ApiServer

LEAD = {"email": "doc@customer.example.com", "name": "Doc Lead", "scenario": "whitepaper"}
REP_ONE = {"Authorization": "Bearer dev-rep-1"}


def _message(r: httpx.Response) -> str:
    return str(r.json()["error"]["message"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"to": "0"}, "to: must be a date like 2026-11-30"),
        ({"from": "1700000000"}, "from: must be a date like 2026-11-30"),
        ({"to": "2026-02-30"}, "to: '2026-02-30' is not a day on the calendar"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "`to` is before `from`"),
    ],
)
async def test_kpi_days_are_iso_dates(
    stack: ApiServer, http: httpx.AsyncClient, params: dict[str, str], expected: str
) -> None:
    r = await http.get("/v1/kpi/funnel", params=params, headers=stack.admin)
    assert r.status_code == 422, r.text
    assert _message(r) == expected


async def test_the_last_day_of_the_calendar_is_a_range_like_any_other(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    for path in ("/v1/kpi/funnel", "/v1/kpi/sla", "/v1/kpi/email.csv", "/dashboard"):
        params = {"from": "2026-01-01", "to": "9999-12-31"}
        r = await http.get(path, params=params, headers=stack.admin)
        assert r.status_code == 200, (path, r.text)
    r = await http.get("/dashboard", params={"from": "", "to": ""}, headers=stack.admin)
    assert r.status_code == 200  # the filter form's empty fields: no bound


@pytest.mark.parametrize(
    ("occurred_at", "expected"),
    [
        (0, "occurred_at: must be an ISO 8601 date-time"),
        ("1700000000", "occurred_at: must be an ISO 8601 date-time"),
        ("2026-11-24", "occurred_at: must be an ISO 8601 date-time"),
    ],
)
async def test_an_event_time_is_an_iso_date_time_not_a_number(
    stack: ApiServer, http: httpx.AsyncClient, occurred_at: Any, expected: str
) -> None:
    lead_id = (await http.post("/v1/leads", json=LEAD, headers=stack.admin)).json()["id"]
    event = {"event_id": "t1", "lead_id": lead_id, "type": "page_view", "occurred_at": occurred_at}
    body = json.dumps(event).encode()
    r = await http.post("/v1/events", content=body, headers=stack.signed(body))
    assert r.status_code == 422, r.text
    assert _message(r).startswith(expected)


@pytest.mark.parametrize(("size", "status"), [(True, 422), ("300", 422), (300.0, 201)])
async def test_a_company_size_is_a_whole_number(
    stack: ApiServer, http: httpx.AsyncClient, size: Any, status: int
) -> None:
    r = await http.post("/v1/leads", json={**LEAD, "company_size": size}, headers=stack.admin)
    assert r.status_code == status, r.text
    if status == 422:
        assert _message(r) == "company_size: must be a whole number"
    else:
        lead = (await http.get(f"/v1/leads/{r.json()['id']}", headers=stack.admin)).json()
        assert lead["company_size"] == 300


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"\xff\xfe", "the body is not valid JSON"),
        (
            json.dumps({"name": "Expo", "channel": "expo", "cost": ""}).encode(),
            "cost: must be a number, or a decimal string like 1500000.50",
        ),
        (
            json.dumps({"name": "Expo", "channel": "expo", "cost": "1e3"}).encode(),
            "cost: must be a number, or a decimal string like 1500000.50",
        ),
        (
            json.dumps({"name": "Expo", "channel": "expo", "cost": 10, "starts_on": 0}).encode(),
            "starts_on: must be a date like 2026-11-30",
        ),
    ],
)
async def test_a_campaign_takes_money_and_days_as_documented(
    stack: ApiServer, http: httpx.AsyncClient, body: bytes, expected: str
) -> None:
    headers = {**stack.admin, "Content-Type": "application/json"}
    r = await http.put("/v1/campaigns/expo", content=body, headers=headers)
    assert r.status_code in (400, 422), r.text
    assert _message(r) == expected
    assert (await http.get("/v1/campaigns", headers=stack.admin)).json() == []


async def test_a_sales_action_refuses_what_it_does_not_take_and_reads_float_cents(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    hot = {**LEAD, "job_title": "CTO", "industry": "Manufacturing", "company_size": 300}
    lead_id = (await http.post("/v1/leads", json=hot, headers=stack.admin)).json()["id"]
    body = json.dumps({"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}).encode()
    assert (await http.post("/v1/events", content=body, headers=stack.signed(body))).is_success
    handoff = f"/v1/handoffs/handoff-{lead_id}-1"
    for _ in range(150):
        if (await http.get(handoff, headers=stack.admin)).status_code == 200:
            break
        await asyncio.sleep(0.1)
    r = await http.post(f"{handoff}/ack", json={"reason": "no_budget"}, headers=REP_ONE)
    assert r.status_code == 422
    assert _message(r) == "reason belongs to reject and lost, not to ack; a note may say why"
    r = await http.post(f"{handoff}/ack", json={"notes": "typo"}, headers=REP_ONE)
    assert r.status_code == 422 and _message(r) == "notes: is not a known field"
    assert (await http.get(handoff, headers=REP_ONE)).json()["status"] == "pending"
    assert (await http.post(f"{handoff}/ack", headers=REP_ONE)).status_code == 200
    # 57 * 0.01 in a client's floating point is 0.5700000000000001: 57 cents, not a 422.
    r = await http.post(f"{handoff}/opportunity", json={"amount": 57 * 0.01}, headers=REP_ONE)
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == "0.57"
