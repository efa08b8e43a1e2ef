"""Request bodies the routes read raw (to check a signature first) documented as real schemas.

FastAPI documents only the bodies it parses. Routes that read bytes describe theirs with
`json_body(...)`; the named schemas it meets land in `components/schemas`, so every `$ref`
in the document resolves (a TypeAdapter's own schema points at `#/$defs/...`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

REF = "#/components/schemas/{model}"
_components: dict[str, Any] = {}


def json_body(
    schema: TypeAdapter[Any] | dict[str, Any], *, required: bool = True, description: str = ""
) -> dict[str, Any]:
    """`openapi_extra=` documenting a JSON request body of this type (or literal schema)."""
    if isinstance(schema, TypeAdapter):
        schema = schema.json_schema(ref_template=REF)
        _components.update(schema.pop("$defs", {}))
        title = schema.get("title")
        if schema.get("type") == "object" and isinstance(title, str):
            _components[title] = schema  # a model of its own: name it like FastAPI would
            schema = {"$ref": REF.format(model=title)}
    body: dict[str, Any] = {
        "required": required,
        "content": {"application/json": {"schema": schema}},
    }
    if description:
        body["description"] = description
    return {"requestBody": body}


def _errors_are_json(document: dict[str, Any]) -> None:
    """Errors answer JSON even where the success is a page or an image (FastAPI would
    document them in the route's media type, text/html)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in "45" and content and "application/json" not in content:
                    schema = next(iter(content.values())).get("schema", {})
                    response["content"] = {"application/json": {"schema": schema}}


def install(app: FastAPI) -> None:
    """Build the document with the raw bodies' schemas in its components."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in _components.items():
                schemas.setdefault(name, schema)
            _errors_are_json(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
