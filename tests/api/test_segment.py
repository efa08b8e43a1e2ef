"""The Segment-spec endpoint through real HTTP on the real dev server: identify, track, page,
batches, de-duplication by messageId, the ways a CDP authenticates, and what is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from nurture.repo.segment import identity_digest
from tests.utils.api import lead_when
from tests.utils.stack import ApiServer

SEGMENT = "/v1/integrations/segment"
TOKYO = {"timezone": "Asia/Tokyo", "locale": "ja-JP"}


async def send(
    http: httpx.AsyncClient,
    api: ApiServer,
    payload: Any,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await http.post(
        SEGMENT, content=body, headers=headers or api.signed(body), params=params
    )


def identify(message_id: str, email: str | None = None, **fields: Any) -> dict[str, Any]:
    traits = {"email": email} if email else {}
    traits.update(fields.pop("traits", {}))
    return {"type": "identify", "messageId": message_id, "traits": traits, **fields}


def track(message_id: str, event: str, **fields: Any) -> dict[str, Any]:
    return {"type": "track", "messageId": message_id, "event": event, **fields}


def statuses(response: httpx.Response) -> list[str]:
    return [m["status"] for m in response.json()["messages"]]


async def test_identify_then_track_raises_the_score(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    traits = {
        "firstName": "Ken",
        "lastName": "Sato",
        "title": "Engineer",
        "company": {"name": "Acme KK", "employee_count": 500, "industry": "Manufacturing"},
    }
    who = identify("m-1", "Ken.Sato@Acme.example.com", userId="crm-123", traits=traits)
    r = await send(http, stack, {**who, "context": TOKYO})
    assert r.status_code == 202, r.text
    [result] = r.json()["messages"]
    assert result["status"] == "accepted" and result["created"] is True
    lead_id = result["lead_id"]
    lead = await lead_when(http, stack, lead_id, lambda s: s["score"] == 25)
    assert (lead["name"], lead["company"], lead["company_size"]) == ("Ken Sato", "Acme KK", 500)
    assert (lead["industry"], lead["timezone"]) == ("Manufacturing", "Asia/Tokyo")
    assert lead["scenario"] == "newsletter"  # the default: nothing specific was downloaded
    assert lead["attributes"]["language"] == "ja"
    assert lead["attributes"]["segment_user_id"] == identity_digest("crm-123")  # never raw
    assert lead["score"] == 25  # top industry + sweet-spot size

    # A later track names the person only by the userId identified before.
    r = await send(http, stack, track("m-2", "Pricing Page Viewed", userId="crm-123"))
    assert r.status_code == 202, r.text
    [result] = r.json()["messages"]
    assert result == {**result, "status": "accepted", "event_type": "pricing_page_view"}
    assert result["lead_id"] == lead_id
    lead = await lead_when(http, stack, lead_id, lambda s: s["score"] == 40)
    assert lead["score"] == 40
    assert [e["data"]["event_id"] for e in lead["timeline"] if e["kind"] == "event"] == ["m-2"]


async def test_the_same_message_id_counts_once(stack: ApiServer, http: httpx.AsyncClient) -> None:
    r = await send(http, stack, identify("id-1", "twice@customer.example.com"))
    lead_id = r.json()["messages"][0]["lead_id"]
    attended = track(
        "m-web", "Webinar Attended", context={"traits": {"email": "twice@customer.example.com"}}
    )
    for _ in range(3):  # a CDP retrying the same message
        r = await send(http, stack, attended)
        assert r.status_code == 202 and statuses(r) == ["accepted"]
    lead = await lead_when(http, stack, lead_id, lambda s: s["score"] >= 20)
    events = [e["data"]["event_id"] for e in lead["timeline"] if e["kind"] == "event"]
    assert (lead["score"], events) == (20, ["m-web"])


async def test_a_batch_identifies_first_and_reports_every_message(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    anon = {"anonymousId": "anon-7"}
    batch = {
        "batch": [
            track("b-1", "Case Study Downloaded", **anon),  # before the identify, same batch
            identify("b-2", "mika.ito@factory.example.com", traits={"scenario": "webinar"}, **anon),
            {"type": "page", "messageId": "b-3", "properties": {"path": "/pricing"}, **anon},
            track("b-4", "email_click", properties={"url": "https://x.example"}, **anon),
            track("b-5", "Cart Viewed", **anon),
            {"type": "group", "messageId": "b-6", "groupId": "g-1", **anon},
            track("b-7", "Pricing Page Viewed", anonymousId="someone-never-identified"),
        ],
        "context": {"library": {"name": "analytics-python"}},
    }
    r = await send(http, stack, batch)
    assert r.status_code == 202, r.text
    body = r.json()
    assert (body["accepted"], body["ignored"], body["rejected"]) == (4, 3, 0)
    messages = body["messages"]
    assert statuses(r) == ["accepted"] * 4 + ["ignored"] * 3
    assert [m["event_type"] for m in messages[:4]] == [
        "case_study_download",
        None,
        "pricing_page_view",
        "email_click",
    ]
    assert "'Cart Viewed' is not in the mapping" in messages[4]["reason"]
    assert "group calls are not used" in messages[5]["reason"]
    assert "identify it first" in messages[6]["reason"]
    lead_id = messages[1]["lead_id"]
    assert {m["lead_id"] for m in messages[:4]} == {lead_id}
    lead = await lead_when(http, stack, lead_id, lambda s: s["score"] >= 28)
    assert lead["scenario"] == "webinar"
    assert lead["score"] == 28  # case study 10 + pricing page 15 + email click 3


async def test_unknown_event_names_are_accepted_and_ignored(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    r = await send(http, stack, identify("u-1", "curious@customer.example.com", userId="u-42"))
    lead_id = r.json()["messages"][0]["lead_id"]
    r = await send(http, stack, track("u-2", "Product Added", userId="u-42"))
    assert r.status_code == 202
    assert r.json() == {
        "accepted": 0,
        "ignored": 1,
        "rejected": 0,
        "messages": [
            {
                "index": 0,
                "message_id": "u-2",
                "type": "track",
                "status": "ignored",
                "http_status": 202,
                "lead_id": None,
                "created": None,
                "event_type": None,
                "reason": "event 'Product Added' is not in the mapping "
                "(scenarios/segment_events.py)",
            }
        ],
    }
    lead = await lead_when(http, stack, lead_id, lambda s: True)
    assert not [e for e in lead["timeline"] if e["kind"] == "event"]


def _segment_signature(body: bytes, secret: str) -> dict[str, str]:
    return {"X-Signature": hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


def _basic(password: str) -> dict[str, str]:
    token = base64.b64encode(f"segment:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def test_what_cdps_send_is_accepted(stack: ApiServer, http: httpx.AsyncClient) -> None:
    secret = stack.settings.webhook_secret.get_secret_value()
    body = json.dumps(identify("a-1", "cdp@customer.example.com")).encode()
    for headers in (_segment_signature(body, secret), _basic(secret)):
        r = await http.post(SEGMENT, content=body, headers=headers)
        assert r.status_code == 202, r.text


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "authenticate with X-Nurture-Signature, Segment's X-Signature"),
        ({"X-Signature": "0" * 40}, "X-Signature does not match"),
        (_basic("guess"), "Basic password is not the webhook secret"),
        ({"Authorization": "Basic %%%"}, "malformed HTTP Basic"),
        ({"X-Nurture-Signature": "t=1,v1=00"}, "tolerance"),
    ],
)
async def test_forged_requests_are_401(
    stack: ApiServer, http: httpx.AsyncClient, headers: dict[str, str], expected: str
) -> None:
    body = json.dumps(identify("f-1", "forged@customer.example.com")).encode()
    r = await http.post(SEGMENT, content=body, headers=headers)
    assert r.status_code == 401 and expected in r.json()["error"]["message"], r.text
    assert "Basic" in r.headers["WWW-Authenticate"]
    listed = await http.get("/v1/leads", headers=stack.admin)
    assert listed.json()["total"] == 0


async def test_a_batch_signed_like_segment_actions_names_the_cause(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    secret = stack.settings.webhook_secret.get_secret_value()
    first = json.dumps(identify("s-1", "first@customer.example.com")).encode()
    body = b"[" + first + b"," + json.dumps(identify("s-2", "x@evil.example.com")).encode() + b"]"
    r = await http.post(SEGMENT, content=body, headers=_segment_signature(first, secret))
    assert r.status_code == 401
    assert "signs only the first event of a batch" in r.json()["error"]["message"]


async def test_bad_messages_are_rejected_one_by_one(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    batch = {
        "batch": [
            identify("x-1", "not-an-email"),
            identify("x-2", "fine@customer.example.com", traits={"employees": "many"}),
            identify("x-3", "ok@customer.example.com"),
            track("", "Webinar Attended", userId="whoever"),
            identify("x-5", "odd@customer.example.com", traits={"scenario": "cold-calling"}),
            "not a message",
        ]
    }
    r = await send(http, stack, batch, params={"scenario": "whitepaper", "source": "expo-2026"})
    assert r.status_code == 207, r.text
    messages = r.json()["messages"]
    assert statuses(r) == ["rejected", "rejected", "accepted", "rejected", "rejected", "rejected"]
    assert {m["http_status"] for i, m in enumerate(messages) if i != 2} == {422}
    assert "email" in messages[0]["reason"]
    assert "company_size" in messages[1]["reason"]
    assert "messageId" in messages[3]["reason"]
    assert "unknown scenario 'cold-calling'" in messages[4]["reason"]
    assert "JSON object" in messages[5]["reason"]
    lead = await lead_when(http, stack, messages[2]["lead_id"], lambda s: True)
    assert (lead["scenario"], lead["source"]) == ("whitepaper", "expo-2026")  # from the URL


@pytest.mark.parametrize(
    ("payload", "status", "expected"),
    [
        (identify("one", "not-an-email"), 422, "email"),
        ({"batch": [identify("x", "bad")]}, 422, "no message was taken: email"),
        ({"hello": "world"}, 422, "one Segment message"),
        (track("t", "Webinar Attended", properties={"lead_id": "nope"}), 422, "not a lead id"),
    ],
)
async def test_nothing_taken_is_a_4xx(
    stack: ApiServer, http: httpx.AsyncClient, payload: Any, status: int, expected: str
) -> None:
    r = await send(http, stack, payload)
    assert r.status_code == status, r.text
    assert expected in r.json()["error"]["message"]


async def test_an_unknown_default_scenario_is_422(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    r = await send(http, stack, identify("q", "q@customer.example.com"), params={"scenario": "x"})
    assert r.status_code == 422 and "?scenario=" in r.json()["error"]["message"]
