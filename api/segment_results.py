"""What the Segment-spec endpoint answers: each message's outcome, and the counts."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from api.segment_spec import SegmentMessage
from nurture.validation import describe_validation


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


def result(index: int, message: SegmentMessage, **fields: Any) -> MessageResult:
    return MessageResult(index=index, message_id=message.message_id, type=message.type, **fields)


def rejected(index: int, message: SegmentMessage, reason: str) -> MessageResult:
    return result(index, message, status="rejected", http_status=422, reason=reason)


def invalid(index: int, item: Any, err: ValidationError) -> MessageResult:
    raw = item if isinstance(item, dict) else {}
    summary, _ = describe_validation(list(err.errors()))
    message_id, kind = raw.get("messageId"), raw.get("type")
    return MessageResult(
        index=index,
        message_id=message_id if isinstance(message_id, str) else None,
        type=kind if isinstance(kind, str) else None,
        status="rejected",
        http_status=422,
        reason=summary if isinstance(item, dict) else "a message must be a JSON object",
    )
