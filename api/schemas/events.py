"""The behaviour webhook's events and its answer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from nurture.models import EventType
from nurture.wire_types import Email, Instant

MAX_EVENTS_PER_REQUEST = 1000  # also the most messages of one Segment batch
MAX_PROPERTIES_KEYS = 50
MAX_PROPERTIES_BYTES = 16 * 1024
EVENT_TYPES = tuple(t.value for t in EventType)


class EventIn(BaseModel):
    # Documented as it is checked: the lead is named by its id, its email, or both.
    model_config = ConfigDict(
        extra="forbid",  # a misspelt `propertiez` is refused, not silently dropped
        json_schema_extra={
            "anyOf": [
                {"required": ["lead_id"], "properties": {"lead_id": {"type": "string"}}},
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
            ]
        },
    )

    event_id: str = Field(min_length=1, max_length=200)
    lead_id: uuid.UUID | None = None
    email: Email | None = None
    type: EventType
    occurred_at: Instant | None = None
    properties: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra={"maxProperties": MAX_PROPERTIES_KEYS},
        description=f"free-form, at most {MAX_PROPERTIES_KEYS} keys and "
        f"{MAX_PROPERTIES_BYTES // 1024} KiB as JSON",
    )

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: object) -> object:
        if isinstance(value, str) and value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value!r}; one of: {', '.join(EVENT_TYPES)}")
        return value

    @model_validator(mode="after")
    def _who(self) -> EventIn:
        if self.lead_id is None and self.email is None:
            raise ValueError("each event needs a lead_id or an email")
        if len(self.properties) > MAX_PROPERTIES_KEYS:
            raise ValueError(f"properties may hold at most {MAX_PROPERTIES_KEYS} keys")
        if len(json.dumps(self.properties, default=str)) > MAX_PROPERTIES_BYTES:
            raise ValueError(f"properties may take at most {MAX_PROPERTIES_BYTES} bytes as JSON")
        return self

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # naive times are taken as UTC
        return value


def events_body(most: int = MAX_EVENTS_PER_REQUEST) -> TypeAdapter[Any]:
    """For the document: one event, or a list of 1 to `most` (the route checks both)."""
    return TypeAdapter(EventIn | Annotated[list[EventIn], Field(min_length=1, max_length=most)])


class EventAccepted(BaseModel):
    event_id: str
    lead_id: uuid.UUID


class EventsAccepted(BaseModel):
    accepted: int
    events: list[EventAccepted]
    parked: list[str] = Field(
        default_factory=list,
        description="event_ids kept but not applied: their lead is halted (its workflow was "
        "stopped or closed by ops); applied when the lead is resumed",
    )
