"""Field types whose accepted input is exactly what the OpenAPI document says.

pydantic is generous by default: `0` or `"1700000000"` pass as a date, `"1e3"` as money.
A client reading the document would call those errors, so these types refuse them with a
message, and document the forms they take.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import BeforeValidator, EmailStr, Field, WithJsonSchema

CENT = Decimal("0.01")
MONEY_LIMIT = 1e12  # 12 digits before the point (Numeric(14, 2))
MONEY_TEXT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")
DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# RFC 3339 / ISO 8601: a date, a time to the minute at least; the offset may be left out (UTC).
INSTANT_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}.*")
DAY_PROBLEM = "must be a date like 2026-11-30"
INSTANT_PROBLEM = "must be an ISO 8601 date-time, e.g. 2026-11-24T10:00:00+09:00"


def _money(value: Any) -> Any:
    """A number, or a decimal string; a float within binary noise of a cent is that cent."""
    if isinstance(value, str) and not MONEY_TEXT.fullmatch(value):
        raise ValueError("must be a number, or a decimal string like 1500000.50")
    if isinstance(value, float) and abs(value) < MONEY_LIMIT:
        exact = Decimal(repr(value))
        cents = exact.quantize(CENT)
        if abs(exact - cents) <= 4 * Decimal(math.ulp(value)):
            return cents  # 0.5700000000000001 is how a client's 57 * 0.01 arrives
    return value


def _head_count(value: Any) -> Any:
    """A whole number; JSON's 300.0 is 300, but `true` or "300" is no head count."""
    if isinstance(value, bool) or not isinstance(value, int | float | None):
        raise ValueError("must be a whole number")
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _day(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not DAY_TEXT.fullmatch(value):
        raise ValueError(DAY_PROBLEM)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a day on the calendar") from None


def _day_or_empty(value: Any) -> Any:
    return None if value == "" else _day(value)  # an empty form field: no bound


def _instant(value: Any) -> Any:
    if isinstance(value, datetime) or value is None:
        return value
    if not isinstance(value, str) or not INSTANT_TEXT.fullmatch(value):
        raise ValueError(INSTANT_PROBLEM)
    return value


_MONEY_NUMBER = {"type": "number", "minimum": 0, "maximum": 999_999_999_999.99, "multipleOf": 0.01}
MONEY_SCHEMA: dict[str, Any] = {
    "anyOf": [_MONEY_NUMBER, {"type": "string", "pattern": f"^{MONEY_TEXT.pattern}$"}],
    "description": "an amount of money, at most 2 decimal places: a number or a decimal string",
}
_DAY = {"type": "string", "format": "date"}
DAY_SCHEMA: dict[str, Any] = {"anyOf": [_DAY, {"type": "null"}], "description": "YYYY-MM-DD"}
QUERY_DAY_SCHEMA: dict[str, Any] = {
    "anyOf": [_DAY, {"type": "string", "maxLength": 0}],
    "description": "a day, YYYY-MM-DD (empty: no bound)",
}
INSTANT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601; without an offset it is UTC",
}


# Constraints before the BeforeValidator: after it pydantic documents them as raw `ge`/`le`.
def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# email-validator refuses reserved domains (RFC 6761: .test, .local...): nobody reads mail there.
_RESERVED = "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
EMAIL_EXTRA: dict[str, Any] = {
    "not": {"type": "string", "pattern": f"[.@]({_RESERVED})$"},
    "description": "an address mail can reach: not at a reserved domain such as .test",
}
Email = Annotated[EmailStr, Field(json_schema_extra=EMAIL_EXTRA)]

Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    BeforeValidator(_money),
    WithJsonSchema(MONEY_SCHEMA),
]
HeadCount = Annotated[int, Field(ge=1, le=10_000_000), BeforeValidator(_head_count)]
Day = Annotated[date | None, BeforeValidator(_day), WithJsonSchema(DAY_SCHEMA)]
QueryDay = Annotated[date | None, BeforeValidator(_day_or_empty), WithJsonSchema(QUERY_DAY_SCHEMA)]
Instant = Annotated[datetime, BeforeValidator(_instant), WithJsonSchema(INSTANT_SCHEMA)]
