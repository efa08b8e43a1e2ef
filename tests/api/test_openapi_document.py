"""The OpenAPI document as a client generator reads it: refs resolve, bodies and errors shown."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.main import create_app
from scenarios import SCENARIOS


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _schema_of(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return dict(_resolve(document, schema["$ref"])) if "$ref" in schema else schema


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    refs = {part.split('"')[0] for part in text.split('"$ref": "')[1:]}
    assert refs and all(ref.startswith("#/components/schemas/") for ref in refs), refs
    for ref in refs:
        _resolve(document, ref)  # raises KeyError on a dangling one


def test_raw_bodies_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path in ("/v1/events", "/v1/integrations/segment", "/v1/leads"):
        body = paths[path]["post"]["requestBody"]
        assert body["required"] is True, path
        assert body["content"]["application/json"]["schema"], path
    intake = paths["/v1/leads"]["post"]["requestBody"]["content"]["application/json"]
    lead = _schema_of(document, intake["schema"])
    assert lead["properties"]["scenario"]["enum"] == sorted(SCENARIOS)
    assert "Asia/Tokyo" in lead["properties"]["timezone"]["anyOf"][0]["enum"]
    reject = paths["/v1/handoffs/{handoff_id}/reject"]["post"]["requestBody"]
    schema = reject["content"]["application/json"]["schema"]
    assert schema["required"] == ["reason"] and schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"reason", "note"}
    ack = paths["/v1/handoffs/{handoff_id}/ack"]["post"]["requestBody"]
    assert ack["required"] is False


def test_errors_are_documented_as_the_json_envelope(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        for status in ("500", "503"):
            assert status in responses, (method, path, status)
        for status, response in responses.items():
            if status.startswith(("4", "5")) and path != "/healthz":
                content = response["content"]
                assert list(content) == ["application/json"], (method, path, status)
                assert content["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("POST", "/v1/events", {"400", "401", "404", "413", "422"}),
        ("POST", "/v1/integrations/segment", {"400", "401", "413", "422"}),
        ("POST", "/v1/batch", {"200", "400", "401", "413", "415", "422"}),
        ("POST", "/v1/track", {"200", "400", "401", "413", "415", "422"}),
        ("POST", "/v1/leads", {"400", "401", "413", "422"}),
        ("GET", "/v1/leads/{lead_id}", {"401", "403", "404", "422"}),
        ("GET", "/v1/handoffs/{handoff_id}", {"401", "403", "404"}),
        ("POST", "/v1/handoffs/{handoff_id}/won", {"400", "401", "403", "404", "409", "422"}),
        ("GET", "/t/c/{token}", {"302", "404"}),
        ("GET", "/v1/kpi/{name}.csv", {"401", "404", "422"}),
        ("GET", "/dashboard", {"401", "422"}),
    ],
)
def test_each_operation_documents_what_it_answers(
    document: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    assert statuses <= set(document["paths"][path][method.lower()]["responses"])
