"""The official CDP SDKs from PyPI, unmodified, pointed at nurture as a user points them:
`host` = the API's URL, `write_key` = a key of NURTURE_SEGMENT_WRITE_KEYS. Each sends
identify, track and page through its own queue and flush, gzip as it does by default, and
reports what nurture answered through its own `on_error`."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from rudderstack.analytics import Client as RudderClient
from segment.analytics import Client as SegmentClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from nurture.mailsink import MailSink
from nurture.settings import Settings
from nurture.tables import Lead, Touch
from tests.utils.api import lead_when
from tests.utils.stack import ApiServer, running_worker, serve_api, suite_settings
from worker import prepare_database

SEGMENT_KEY = "seg-wk-" + "a" * 25
RUDDER_KEY = "rudder-wk-" + "b" * 22
CAMPAIGNS = {"segment": "site-segment", "rudder": "site-rudder"}  # each key's default campaign
AT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # when the person did it (the SDKs send it)
Errors = list[tuple[Exception, list[dict[str, Any]]]]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with MailSink() as sink:
        yield suite_settings(
            tmp_path_factory.mktemp("sdks") / "nurture.db",
            sink,
            segment_write_keys=(
                f"{SEGMENT_KEY}={CAMPAIGNS['segment']},{RUDDER_KEY}={CAMPAIGNS['rudder']}"
            ),
        )


@pytest.fixture(scope="module")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = prepare_database(settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> AsyncIterator[ApiServer]:
    """One API + worker for the module, on the session's dev server."""
    async with (
        running_worker(dev_env.client, settings, engine),
        serve_api(dev_env.client, settings) as api,
    ):
        yield api


@pytest.fixture(scope="module")
async def http(stack: ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        yield client


def sdk_client(sdk: str, host: str, write_key: str, errors: Errors) -> Any:
    """The SDK's own client, configured only by its documented options: gzip on (Rudder's
    default; Segment's is off), few retries so a refusal is reported without long backoffs."""

    def on_error(error: Exception, batch: list[dict[str, Any]]) -> None:
        errors.append((error, batch))

    options: dict[str, Any] = {"host": host, "on_error": on_error, "gzip": True, "max_retries": 1}
    if sdk == "segment":
        return SegmentClient(write_key, max_total_backoff_duration=5, **options)
    return RudderClient(write_key, **options)


async def flushed(client: Any) -> None:
    """The SDK's flush (it blocks until its consumer thread has posted), off the event loop
    that serves the API."""
    await asyncio.to_thread(client.flush)


async def stopped(client: Any) -> None:
    await asyncio.to_thread(client.shutdown)


def lead_by_email(engine: Engine, email: str) -> Lead | None:
    with Session(engine) as session:
        return session.exec(select(Lead).where(Lead.email == email)).first()


def touches(engine: Engine, lead_id: uuid.UUID) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(Touch).where(Touch.lead_id == lead_id).order_by(col(Touch.id)))
        return [(t.campaign, t.kind, t.ref) for t in rows]


def events(lead: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["data"] for e in lead["timeline"] if e["kind"] == "event"]


@pytest.mark.parametrize("sdk", ["segment", "rudder"])
async def test_identify_track_page_and_flush_reach_the_lead(
    stack: ApiServer, http: httpx.AsyncClient, engine: Engine, sdk: str
) -> None:
    errors: Errors = []
    key = SEGMENT_KEY if sdk == "segment" else RUDDER_KEY
    client = sdk_client(sdk, stack.base_url, key, errors)
    user, email = f"crm-{sdk}-1", f"ken.{sdk}@acme.example.com"
    webinar = {"name": "webinar-2026-q4", "source": "newsletter", "medium": "email"}
    try:
        traits = {
            "email": email,
            "firstName": "Ken",
            "lastName": "Sato",
            "title": "Engineer",
            "company": {"name": "Acme KK", "employee_count": 500},
        }
        client.identify(user, traits, timestamp=AT)
        attended = {"event": "Webinar Attended", "timestamp": AT, "message_id": f"w-{sdk}"}
        client.track(user, context={"campaign": webinar}, **attended)
        await flushed(client)
        client.track(user, context={"campaign": webinar}, **attended)  # the same messageId again
        client.page(
            user,
            name="Pricing",
            properties={"path": "/pricing", "campaign": "pricing-ads"},  # its own campaign wins
            context={"campaign": webinar},
            timestamp=AT,
            message_id=f"p-{sdk}",
        )
        await flushed(client)
    finally:
        await stopped(client)
    assert errors == []  # every batch answered 200, as each SDK reads success

    row = lead_by_email(engine, email)
    assert row is not None
    lead = await lead_when(http, stack, str(row.id), lambda s: len(events(s)) == 2)
    assert (lead["name"], lead["company"], lead["company_size"]) == ("Ken Sato", "Acme KK", 500)
    assert lead["source"] == CAMPAIGNS[sdk]  # the write key's campaign: no source trait
    webinar_event, page_event = events(lead)
    assert (webinar_event["event_id"], webinar_event["type"]) == (f"w-{sdk}", "webinar_attended")
    assert webinar_event["properties"] == {
        "utm_campaign": "webinar-2026-q4",
        "utm_source": "newsletter",
        "utm_medium": "email",
    }
    assert (page_event["event_id"], page_event["type"]) == (f"p-{sdk}", "pricing_page_view")
    assert page_event["properties"] == {"path": "/pricing", "campaign": "pricing-ads"}
    assert webinar_event["occurred_at"] == AT.isoformat()
    assert lead["score"] == 10 + 20 + 15  # sweet-spot size, the webinar once, the pricing page
    assert touches(engine, row.id) == [  # what attribution credits, each once
        (CAMPAIGNS[sdk], "intake", f"intake:{CAMPAIGNS[sdk]}"),
        ("webinar-2026-q4", "webinar_attended", f"w-{sdk}"),
        ("pricing-ads", "pricing_page_view", f"p-{sdk}"),
    ]


@pytest.mark.parametrize("sdk", ["segment", "rudder"])
async def test_a_wrong_write_key_is_refused_and_the_sdk_reports_it(
    stack: ApiServer, engine: Engine, sdk: str
) -> None:
    errors: Errors = []
    client = sdk_client(sdk, stack.base_url, "not-a-configured-key", errors)
    email = f"refused.{sdk}@customer.example.com"
    try:
        client.identify(f"crm-{sdk}-refused", {"email": email}, timestamp=AT)
        await flushed(client)
    finally:
        await stopped(client)
    [(error, batch)] = errors  # reported once: a 401 is not retried
    assert (type(error).__name__, getattr(error, "status", None)) == ("APIError", 401)
    assert getattr(error, "code", None) == "unauthorized"  # read from the error body
    assert "write key is not one of NURTURE_SEGMENT_WRITE_KEYS" in str(error)
    assert [m["type"] for m in batch] == ["identify"]
    assert lead_by_email(engine, email) is None


def _basic(key: str) -> dict[str, str]:
    """What the SDKs send: the write key as the user name, no password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


async def test_the_http_api_calls_take_one_message_each(
    stack: ApiServer, http: httpx.AsyncClient, engine: Engine
) -> None:
    """Segment's HTTP tracking API, as curl users call it: the path names the call, the
    write key may sit in the body, and calls nurture does not use are taken as ignored."""
    email = "http.api@customer.example.com"
    r = await http.post(
        "/v1/identify", json={"writeKey": RUDDER_KEY, "userId": "h-1", "traits": {"email": email}}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {**r.json(), "success": True, "accepted": 1}
    row = lead_by_email(engine, email)
    assert row is not None and row.source == CAMPAIGNS["rudder"]
    track = {"userId": "h-1", "event": "Case Study Downloaded", "messageId": "h-cs"}
    r = await http.post("/v1/track", json=track, headers=_basic(SEGMENT_KEY))
    assert r.status_code == 200 and r.json()["messages"][0]["event_type"] == "case_study_download"
    for call in ("screen", "group", "alias"):
        r = await http.post(f"/v1/{call}", json={"userId": "h-1"}, headers=_basic(SEGMENT_KEY))
        assert r.status_code == 200, r.text
        assert r.json()["messages"][0]["status"] == "ignored"


async def test_a_lead_known_before_keeps_the_campaign_it_came_from(
    stack: ApiServer, http: httpx.AsyncClient, engine: Engine
) -> None:
    email = "known@customer.example.com"
    lead = {"email": email, "name": "Known", "scenario": "whitepaper", "source": "wp-2026-q4"}
    assert (await http.post("/v1/leads", json=lead, headers=stack.admin)).status_code == 201
    identify = {"userId": "k-1", "traits": {"email": email, "title": "CTO"}}
    r = await http.post("/v1/identify", json=identify, headers=_basic(SEGMENT_KEY))
    assert r.status_code == 200 and r.json()["messages"][0]["created"] is False, r.text
    row = lead_by_email(engine, email)
    assert row is not None and (row.source, row.job_title) == ("wp-2026-q4", "CTO")


async def test_a_batch_taken_in_part_is_a_200_and_the_rejected_are_logged(
    stack: ApiServer, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    batch = {
        "batch": [
            {"type": "identify", "messageId": "ok-1", "traits": {"email": "fine@c.example.com"}},
            {"type": "identify", "messageId": "bad-1", "traits": {"email": "not-an-email"}},
        ]
    }
    with caplog.at_level(logging.WARNING, logger="nurture.api.segment"):
        r = await http.post("/v1/batch", json=batch, headers=_basic(SEGMENT_KEY))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["success"], body["accepted"], body["rejected"]) == (True, 1, 1)
    assert "email" in body["messages"][1]["reason"]
    [logged] = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert "1 of 2" in logged and "bad-1" in logged
    assert "not-an-email" not in logged and "fine@" not in logged  # ids, never content


def _sdk_error(r: httpx.Response) -> tuple[int, str, str]:
    """What both SDKs read from an error: the status, and `code` and `message` at the top."""
    body = r.json()
    assert body["error"]["code"] == body["code"]  # the envelope stays
    return r.status_code, body["code"], body["message"]


@pytest.mark.parametrize(
    ("content", "encoding", "expected"),
    [
        (b"\x1f\x8b not gzip at all", "gzip", (400, "malformed_body", "not valid gzip")),
        (
            gzip.compress(b"{" + b" " * (2 << 20) + b"}", mtime=0),
            "gzip",
            (413, "too_large", "decompressed"),
        ),
        (b"{}", "br", (415, "unsupported_encoding", "'br' is not supported")),
        (gzip.compress(b'{"batch": "no"}', mtime=0), "gzip", (422, "invalid", 'send {"batch"')),
    ],
    ids=["not-gzip", "gzip-bomb", "brotli", "gzip-not-a-batch"],  # the same in every process
)
async def test_bodies_the_sdk_paths_refuse_say_why(
    http: httpx.AsyncClient, content: bytes, encoding: str, expected: tuple[int, str, str]
) -> None:
    headers = {**_basic(SEGMENT_KEY), "Content-Encoding": encoding}
    r = await http.post("/v1/batch", content=content, headers=headers)
    status, code, message = _sdk_error(r)
    assert (status, code) == expected[:2] and expected[2] in message, r.text


async def test_deflate_and_plain_bodies_are_taken(http: httpx.AsyncClient) -> None:
    body = json.dumps({"batch": [{"type": "alias", "userId": "d-1", "previousId": "x"}]})
    for encoding, content in (("deflate", zlib.compress(body.encode())), ("", body.encode())):
        headers = {**_basic(RUDDER_KEY), "Content-Encoding": encoding}
        r = await http.post("/v1/batch", content=content, headers=headers)
        assert r.status_code == 200 and r.json()["ignored"] == 1, (encoding, r.text)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "send the source's write key as the HTTP Basic user name"),
        (_basic("guess"), "write key is not one of NURTURE_SEGMENT_WRITE_KEYS"),
        ({"Authorization": "Basic %%%"}, "malformed HTTP Basic"),
    ],
)
async def test_no_or_a_wrong_write_key_is_a_401(
    http: httpx.AsyncClient, headers: dict[str, str], expected: str
) -> None:
    r = await http.post("/v1/track", json={"userId": "x", "event": "Page Viewed"}, headers=headers)
    status, code, message = _sdk_error(r)
    assert (status, code) == (401, "unauthorized") and expected in message, r.text
    assert "Basic" in r.headers["WWW-Authenticate"]


async def test_without_write_keys_the_sdk_paths_say_what_to_set(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    strong = "s" * 32
    production = Settings(
        env="production",
        webhook_secret=strong,
        secret_key=strong,
        admin_token=strong,
        site_url="https://www.example.com",  # required outside dev
        database_url=f"sqlite:///{tmp_path / 'nurture.db'}",
        task_queue=f"test-{uuid.uuid4()}",
    )
    async with (
        serve_api(dev_env.client, production) as api,
        httpx.AsyncClient(base_url=api.base_url) as http,
    ):
        r = await http.post("/v1/batch", json={"batch": []}, headers=_basic("dev-write-key"))
    status, _, message = _sdk_error(r)
    assert status == 401 and "set NURTURE_SEGMENT_WRITE_KEYS" in message


async def test_server_errors_on_the_sdk_paths_keep_the_envelope_and_read_as_sdk_errors(
    dev_env: WorkflowEnvironment, settings: Settings, http: httpx.AsyncClient
) -> None:
    r = await http.get("/v1/batch")  # the method the path lacks: 405, readable by the SDKs
    assert _sdk_error(r)[:2] == (405, "method_not_allowed")
    app = create_app(settings, client=dev_env.client)

    @app.get("/v1/track")
    def broken() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        r = await client.get("/v1/track")
    status, code, message = _sdk_error(r)
    assert (status, code) == (500, "internal_error") and "logged as" in message
    assert r.json()["error"]["details"]["reference"] in message
