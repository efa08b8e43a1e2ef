"""What each sales action takes: its body parsed once, and documented per action.

One `ActionIn` carries every field, so a misplaced one gets a message that says where it
belongs; the document shows each action exactly what it takes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import TypeAdapter

from api.deps import read_body
from api.openapi_docs import json_body
from api.parsing import parse
from api.schemas import ActionIn
from nurture.rules.sales_rules import Action
from nurture.wire_types import MONEY_SCHEMA
from scenarios.sla import SLA

TAKES_AMOUNT = frozenset({Action.OPPORTUNITY, Action.WON})
REASONS: dict[Action, tuple[str, ...]] = {
    Action.REJECT: SLA.reject_reasons,
    Action.LOST: SLA.lost_reasons,
}
_action_in = TypeAdapter(ActionIn)
# A won deal's amount is more than zero: a number from a cent, or a string without a
# leading zero (the pattern has no look-ahead, so fuzzers and code generators can read it).
_POSITIVE_MONEY = {
    "anyOf": [
        {**MONEY_SCHEMA["anyOf"][0], "minimum": 0.01},
        {"type": "string", "pattern": r"^[1-9][0-9]{0,11}(\.[0-9]{1,2})?$"},
    ],
    "description": "the revenue, more than 0, at most 2 decimal places",
}


async def action_in(request: Request) -> ActionIn:
    """The body as an `ActionIn`; no body at all is an empty one."""
    raw = await read_body(request)
    return ActionIn() if not raw.strip() else parse(_action_in, raw)


ActionBody = Annotated[ActionIn, Depends(action_in)]


def documented(action: Action) -> dict[str, Any]:
    """`openapi_extra=` for one action's body: only the fields it takes."""
    properties: dict[str, Any] = {"note": ActionIn.model_json_schema()["properties"]["note"]}
    required: list[str] = []
    if action in REASONS:
        properties["reason"] = {"type": "string", "enum": list(REASONS[action])}
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
