"""`POST /v1/batch`, `/v1/identify`, `/v1/track`, `/v1/page`...: the CDP SDKs' paths.

What they do with a request is api.segment.sdk's; who may call, api.auth's `SdkSourceDep`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from pydantic import TypeAdapter

from api.auth import SdkSourceDep
from api.deps import StateDep
from api.openapi_docs import REF, json_body
from api.responses import errors
from api.schemas.segment import SDK_CALLS, SdkAnswer, SegmentBatch, SegmentMessage
from api.segment.sdk import take_from_sdk

router = APIRouter(prefix="/v1", tags=["integrations"])

AUTH = (
    "Authenticate as the SDKs do: HTTP Basic with a write key from NURTURE_SEGMENT_WRITE_KEYS "
    "as the user name (or `writeKey` in the body). The body may be gzip or deflate "
    "(`Content-Encoding`), at most 1 MiB once decompressed."
)
ERRORS = errors(
    400,
    401,
    413,
    e415="a `Content-Encoding` other than gzip, deflate or identity",
    e422="no message was taken: each one's reason is in `details`",
)


@router.post(
    "/batch",
    response_model=SdkAnswer,
    responses=ERRORS,
    openapi_extra=json_body(TypeAdapter(SegmentBatch), description="what the SDKs post"),
    description=f"""Take a batch of Segment-spec messages from a CDP SDK (`host` = nurture's
URL). 200 `{{"success": true, ...}}` when any message was taken or ignored (the rejected ones
are listed and logged), 422 when none was. The write key's campaign is the `source` of new
leads without one. {AUTH}""",
)
async def post_batch(source: SdkSourceDep, state: StateDep) -> SdkAnswer:
    return await take_from_sdk(state, source, None)


def _one_call(call: str) -> Callable[..., Awaitable[SdkAnswer]]:
    async def post_call(source: SdkSourceDep, state: StateDep) -> SdkAnswer:
        return await take_from_sdk(state, source, call)

    post_call.__name__ = f"post_{call}"
    return post_call


def _what(call: str) -> str:
    if call in ("identify", "track", "page"):
        return f"Take one Segment-spec `{call}` call (its `type` is the path's). {AUTH}"
    return f"Accept a `{call}` call and report it ignored: nurture does not use them. {AUTH}"


def _call_schema() -> dict[str, Any]:
    """A message without `type`: the path names the call (Segment's HTTP API)."""
    schema = TypeAdapter(SegmentMessage).json_schema(ref_template=REF)
    schema["required"] = [f for f in schema.get("required", []) if f != "type"]
    schema["title"] = "SegmentCall"
    return schema


CALL_BODY = json_body(_call_schema(), description="one message")
for _call in SDK_CALLS:
    router.add_api_route(
        f"/{_call}",
        _one_call(_call),
        methods=["POST"],
        response_model=SdkAnswer,
        responses=ERRORS,
        openapi_extra=CALL_BODY,
        description=_what(_call),
    )
