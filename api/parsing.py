"""Parsing raw (signature-checked) bodies into models, with errors a sender can act on."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from api.errors import Invalid, MalformedBody, describe_validation

T = TypeVar("T")


def parse(adapter: TypeAdapter[T], body: bytes) -> T:
    if not body.strip():
        raise MalformedBody("the request body is empty; send JSON")
    try:
        return adapter.validate_json(body)
    except ValidationError as err:
        errors: list[Any] = list(err.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            raise MalformedBody(f"the body is not valid JSON: {errors[0].get('msg', '')}") from None
        summary, details = describe_validation(errors)
        raise Invalid(summary, details) from None
