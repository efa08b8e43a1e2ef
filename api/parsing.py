"""Raw bodies read with a bound, and parsed into models with errors a sender can act on.

Routes that check a signature read the raw bytes first (api.auth), then parse them here.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from functools import cache
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.errors import Invalid, MalformedBody, TooLarge, UnsupportedEncoding
from nurture.validation import describe_validation

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
_JSON_NAMES = {str: "a string", int: "a number", float: "a number", bool: "a boolean"}
MAX_BODY_BYTES = 1024 * 1024


async def read_body(request: Request) -> bytes:
    """The body, refusing more than MAX_BODY_BYTES before and while reading it."""
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise TooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# zlib's window bits: a gzip member; a zlib stream (HTTP's "deflate"); a raw deflate stream.
_WINDOWS = {"gzip": (31,), "x-gzip": (31,), "deflate": (15, -15)}


async def decoded_body(request: Request) -> bytes:
    """The body as read_body reads it, then decompressed by its `Content-Encoding` (gzip,
    as the CDP SDKs send by default, or deflate) to at most MAX_BODY_BYTES: a small body
    that inflates beyond that (a gzip bomb) is refused while inflating."""
    body = await read_body(request)
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    windows = _WINDOWS.get(encoding)
    if windows is None:
        raise UnsupportedEncoding(
            f"Content-Encoding {encoding!r} is not supported; send gzip, deflate or none"
        )
    for window in windows[:-1]:  # deflate: a zlib stream, as RFC 9110 says, or raw
        with contextlib.suppress(zlib.error):
            return _inflate(body, window)
    try:
        return _inflate(body, windows[-1])
    except zlib.error:
        raise MalformedBody(f"the body is not valid {encoding} data") from None


def _inflate(data: bytes, window: int) -> bytes:
    """Every member of a compressed body (gzip allows several), refusing more than the cap."""
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(window)
        out += inflater.decompress(rest, MAX_BODY_BYTES + 1 - len(out))
        if len(out) > MAX_BODY_BYTES or inflater.unconsumed_tail:
            raise TooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes once decompressed")
        if not inflater.eof:
            raise zlib.error("truncated")
        rest = inflater.unused_data
    return bytes(out)


def parse(adapter: TypeAdapter[T], body: bytes) -> T:
    """The body as `adapter`'s type; 400 for a body that is not JSON, 422 naming each bad field."""
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


@cache
def _one(model: type[M]) -> TypeAdapter[M]:
    return TypeAdapter(model)


@cache
def _many(model: type[M]) -> TypeAdapter[list[M]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def parse_one_or_many(
    adapter: TypeAdapter[M | list[M]], model: type[M], body: bytes, *, noun: str, most: int
) -> list[M]:
    """A body holding one `model` or a list of them, as a list.

    The union `adapter` parses good bodies in one pass; a bad one is parsed again by its
    shape, so each error names its field (`events[2].type`) instead of pydantic's union.

    Args:
        adapter: `TypeAdapter(model | list[model])`, made once by the caller.
        model: the item type.
        body: the raw body.
        noun: what one item is called (`event`), used in the messages.
        most: the largest list accepted (413 beyond it).
    """
    plural = f"{noun}s"
    try:
        parsed = parse(adapter, body)
    except Invalid:
        data = json.loads(body)  # parse() already refused a body that is not JSON
        if isinstance(data, list):
            if len(data) > most:
                raise TooLarge(f"at most {most} {plural} per request, got {len(data)}") from None
            return _validated(_many(model), data, plural)
        if isinstance(data, dict):
            return [_validated(_one(model), data, "")]
        raise Invalid(
            f"the body must be an {noun} (a JSON object) or a list of {plural}, "
            f"not {_JSON_NAMES.get(type(data), 'null')}"
        ) from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        raise Invalid(f"the list of {plural} is empty; send at least one")
    if len(items) > most:
        raise TooLarge(f"at most {most} {plural} per request, got {len(items)}")
    return items


def _validated(adapter: TypeAdapter[T], data: Any, root: str) -> T:
    try:
        return adapter.validate_python(data)
    except ValidationError as err:
        summary, details = describe_validation(list(err.errors()), root)
        raise Invalid(summary, details) from None
