"""A rep's handoffs and the body of a sales action, documented per action.

One `ActionIn` carries every field, so a misplaced one gets a message that says where it
belongs (nurture.rules.sales_rules.body_problem); the document shows each action exactly
the fields it takes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.openapi_docs import json_body
from nurture.rules.sales_rules import TAKES_REASON, Action, reasons_for
from nurture.wire_types import MONEY_SCHEMA, Money
from scenarios.sla import SLA


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


# A won deal's amount is more than zero: a number from a cent, or a string without a
# leading zero (the pattern has no look-ahead, so fuzzers and code generators can read it).
_POSITIVE_MONEY = {
    "anyOf": [
        {**MONEY_SCHEMA["anyOf"][0], "minimum": 0.01},
        {"type": "string", "pattern": r"^[1-9][0-9]{0,11}(\.[0-9]{1,2})?$"},
    ],
    "description": "the revenue, more than 0, at most 2 decimal places",
}


def action_body(action: Action) -> dict[str, Any]:
    """`openapi_extra=` for one action's body: only the fields it takes."""
    properties: dict[str, Any] = {"note": ActionIn.model_json_schema()["properties"]["note"]}
    required: list[str] = []
    if action in TAKES_REASON:
        properties["reason"] = {"type": "string", "enum": list(reasons_for(action, SLA))}
        required.append("reason")
    if action == Action.OPPORTUNITY:
        properties["amount"] = {"anyOf": [MONEY_SCHEMA, {"type": "null"}]}
    if action == Action.WON:
        properties["amount"] = _POSITIVE_MONEY
        required.append("amount")
    schema = {
        "type": "object",
        "title": f"{action.value.capitalize()}In",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return json_body(schema, required=bool(required))
