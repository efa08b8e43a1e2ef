"""Segment-spec messages (https://segment.com/docs/connections/spec/) as nurture reads
them, and what the Segment-spec endpoint answers: each message's outcome, and the counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from api.schemas.events import MAX_EVENTS_PER_REQUEST
from nurture.wire_types import Instant

# The calls of Segment's HTTP tracking API, each at /v1/<call>, besides /v1/batch: the paths
# the official SDKs (Segment's, RudderStack's) post to when nurture is their host.
SDK_CALLS = ("identify", "track", "page", "screen", "group", "alias")
SDK_PATHS = frozenset({"/v1/batch", *(f"/v1/{call}" for call in SDK_CALLS)})

TEXT_OR_NUMBER_ID: dict[str, Any] = {
    "anyOf": [{"type": "string", "maxLength": 200}, {"type": "integer"}, {"type": "null"}]
}


class SegmentMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    type: str = Field(min_length=1, max_length=40)
    message_id: str | None = Field(default=None, alias="messageId", min_length=1, max_length=200)
    # SDKs send numeric ids too: taken as their text (documented so).
    user_id: str | None = Field(
        default=None, alias="userId", max_length=200, json_schema_extra=TEXT_OR_NUMBER_ID
    )
    anonymous_id: str | None = Field(
        default=None, alias="anonymousId", max_length=200, json_schema_extra=TEXT_OR_NUMBER_ID
    )
    event: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    traits: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    timestamp: Instant | None = None
    original_timestamp: Instant | None = Field(default=None, alias="originalTimestamp")

    @field_validator("user_id", "anonymous_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("type")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @property
    def all_traits(self) -> dict[str, Any]:
        """`context.traits` (what SDKs remember of the user) overlaid by the message's traits."""
        remembered = self.context.get("traits")
        return {**(remembered if isinstance(remembered, dict) else {}), **self.traits}

    @property
    def occurred_at(self) -> datetime | None:
        at = self.timestamp or self.original_timestamp
        return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


class SegmentBatch(BaseModel):
    """`{"batch": [...]}`, what Segment's and RudderStack's SDKs post; its `context` applies to
    the messages without one."""

    batch: list[SegmentMessage] = Field(max_length=MAX_EVENTS_PER_REQUEST)
    context: Any = Field(
        default=None, description="an object; anything else is ignored, as a missing one is"
    )


# For the document: the endpoint reads any JSON and judges each message on its own.
SEGMENT_BODY: TypeAdapter[Any] = TypeAdapter(SegmentMessage | SegmentBatch | list[SegmentMessage])


class MessageResult(BaseModel):
    index: int
    message_id: str | None = None
    type: str | None = None
    status: Literal["accepted", "ignored", "rejected"]
    http_status: int = 202
    lead_id: uuid.UUID | None = None
    created: bool | None = None
    event_type: str | None = None
    reason: str | None = None


class SegmentResult(BaseModel):
    accepted: int
    ignored: int
    rejected: int
    messages: list[MessageResult]


class SdkAnswer(SegmentResult):
    """What the SDK paths answer: Segment's `{"success": true}`, with each message's outcome."""

    success: bool = Field(
        default=True, description="true: the request was taken (see `rejected` for messages)"
    )
