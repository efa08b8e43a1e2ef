"""Request and response bodies of the public API."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

from nurture.models import EventType, Stage
from nurture.wire_types import Email, Instant, Money

MAX_PROPERTIES_KEYS = 50
MAX_PROPERTIES_BYTES = 16 * 1024
EVENT_TYPES = tuple(t.value for t in EventType)
MAX_OFFSET = 1_000_000_000  # paging bound: well inside a 64-bit integer on every database


class LeadCreated(BaseModel):
    id: uuid.UUID
    created: bool
    pending: bool = False
    score: int
    stage: Stage
    scenario: str
    step: str | None
    enrolment: str | None = Field(
        default=None,
        description="for a known lead: whether it entered the scenario asked for, and if not why",
    )
    halted: str | None = Field(
        default=None, description="set when the lead's workflow was stopped or closed by ops"
    )


class EventIn(BaseModel):
    # Documented as it is checked: the lead is named by its id, its email, or both.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["lead_id"], "properties": {"lead_id": {"type": "string"}}},
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
            ]
        }
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


def events_body(most: int) -> TypeAdapter[Any]:
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


class ScoreItem(BaseModel):
    rule: str
    label: str
    points: int


class TimelineItem(BaseModel):
    at: datetime
    kind: str
    text: str
    data: dict[str, Any] = Field(default_factory=dict)


class LeadSummary(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    company: str
    source: str
    scenario: str
    step: str | None
    stage: str
    score: int
    created_at: datetime


class LeadDetail(LeadSummary):
    job_title: str
    industry: str
    company_size: int | None
    timezone: str | None
    attributes: dict[str, Any]
    score_breakdown: list[ScoreItem]
    rep: str | None
    updated_at: datetime
    halted: str | None = Field(
        default=None,
        description="null while the lead's workflow runs; else stopped, terminated, canceled, "
        "failed or timed_out (new events are parked until `nurture leads resume`)",
    )
    halted_at: datetime | None = None
    parked_events: int = Field(default=0, description="events kept for a halted lead")
    timeline: list[TimelineItem]


class LeadPage(BaseModel):
    total: int
    items: list[LeadSummary]


class ActionIn(BaseModel):
    """Body of a sales action: `reason` for reject and lost, `amount` for opportunity and won."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=100)
    note: str = Field(default="", max_length=2000)
    amount: Money | None = None


class HandoffOut(BaseModel):
    id: str
    lead_id: uuid.UUID
    lead_name: str
    company: str
    score: int
    priority: str
    status: str
    rep: str | None
    reason: str
    reassignments: int
    created_at: datetime
    deadline_at: datetime | None
    acknowledged_at: datetime | None
    overdue: bool
    time_left_seconds: int | None = Field(description="wall-clock seconds to the deadline")
    business_time_left_seconds: int | None = Field(
        description="working seconds to the deadline on the SLA calendar (negative: overdue)"
    )
    outcome_reason: str | None
    amount: Decimal | None


class HandoffPage(BaseModel):
    total: int
    items: list[HandoffOut]
