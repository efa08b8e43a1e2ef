"""Every error is the JSON envelope: huge numbers are a 422, the unexpected a logged 500,
and a method the path lacks a 405 that lists the methods it has."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from nurture import signing
from nurture.settings import Settings
from tests.utils.stack import ApiServer


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"offset": "36893488147419103232"}, "offset: must be at most 1000000000"),
        ({"offset": str(2**63)}, "offset: must be at most 1000000000"),
        ({"limit": str(10**30)}, "limit: must be at most 500"),
        ({"min_score": str(-(10**30))}, "min_score: must be at least -10000"),
    ],
)
async def test_huge_numbers_in_the_query_are_a_422_naming_the_bound(
    stack: ApiServer, http: httpx.AsyncClient, params: dict[str, str], expected: str
) -> None:
    r = await http.get("/v1/leads", params=params, headers=stack.admin)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"] == expected


async def test_an_unexpected_error_is_a_json_500_that_keeps_personal_data_out(
    dev_env: WorkflowEnvironment, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, client=dev_env.client)

    @app.get("/v1/broken/{lead_id}")
    def broken(lead_id: str) -> None:
        raise RuntimeError(f"lead {lead_id} <kato@customer.example.com> broke")

    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.ERROR, logger="nurture.api.errors"):
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            r = await client.get("/v1/broken/42")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error["code"] == "internal_error"
    reference = error["details"]["reference"]
    assert (
        error["message"] == f"the server failed to answer this request; it is logged as {reference}"
    )
    logged = caplog.text
    assert "RuntimeError" in logged and "GET /v1/broken/{lead_id}" in logged and reference in logged
    assert "kato@customer.example.com" not in logged + r.text


async def test_options_lists_every_method_of_the_path(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    r = await http.options("/v1/leads")
    assert r.status_code == 204 and r.content == b""
    assert r.headers["Allow"] == "GET, OPTIONS, POST"
    r = await http.options("/v1/handoffs/handoff-x/ack")
    assert r.status_code == 204 and r.headers["Allow"] == "OPTIONS, POST"
    r = await http.options("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_a_missing_method_is_a_405_that_names_the_real_ones(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    r = await http.delete("/v1/leads", headers=stack.admin)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, OPTIONS, POST"
    assert r.json()["error"] == {
        "code": "method_not_allowed",
        "message": "DELETE is not allowed on /v1/leads; use GET, OPTIONS, POST",
    }


async def test_a_client_that_leaves_mid_body_is_no_server_error(
    stack: ApiServer, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A CDP or demo client that gives up while sending `POST /v1/events` (its timeout, its
    process stopped) leaves no 500 and no error in the log: there was no one left to answer."""
    host, port = stack.base_url.removeprefix("http://").split(":")
    with caplog.at_level(logging.INFO, logger="nurture.api.errors"):
        _reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            b"POST /v1/events HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
            + f"{signing.HEADER}: {stack.signed(b'[]')[signing.HEADER]}\r\n".encode()
            + b'Content-Length: 1000\r\n\r\n[{"type": "track"'
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        deadline = asyncio.get_running_loop().time() + 30
        while "client disconnected during POST /v1/events" not in caplog.text:
            assert asyncio.get_running_loop().time() < deadline, caplog.text
            await asyncio.sleep(0.05)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    r = await http.get("/healthz")  # and the server serves the next client
    assert r.status_code == 200
