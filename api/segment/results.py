"""Each Segment message's outcome (api.schemas.segment.MessageResult), said one way."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.schemas.segment import MessageResult, SegmentMessage
from nurture.validation import describe_validation

PARKED = "parked: the lead is halted (its workflow was stopped or closed by ops)"


def result(index: int, message: SegmentMessage, **fields: Any) -> MessageResult:
    return MessageResult(index=index, message_id=message.message_id, type=message.type, **fields)


def rejected(index: int, message: SegmentMessage, reason: str) -> MessageResult:
    return result(index, message, status="rejected", http_status=422, reason=reason)


def invalid(index: int, item: Any, err: ValidationError) -> MessageResult:
    """A message that is not one (not an object, or a field of the wrong type)."""
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
