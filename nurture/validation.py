"""Pydantic validation failures in words a sender understands, for the API and the importer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_NUMBER_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "greater_than": ("gt", "must be greater than {}"),
    "less_than": ("lt", "must be less than {}"),
}
_FIXED = {
    "missing": "is required",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "list_type": "must be a list",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "extra_forbidden": "is not a known field",
    "json_invalid": "is not valid JSON",
    "datetime_type": "must be an ISO 8601 date-time, e.g. 2026-11-24T10:00:00+09:00",
    "datetime_parsing": "must be an ISO 8601 date-time, e.g. 2026-11-24T10:00:00+09:00",
    "datetime_from_date_parsing": "must be an ISO 8601 date-time, e.g. 2026-11-24T10:00:00+09:00",
}


def _field(loc: Sequence[Any], root: str) -> str:
    """`events[0].type` from pydantic's location, without the union and function labels."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in str(part) or "(" in str(part):
            continue  # pydantic's name for a union member or a validator, not a field
        else:
            path += f".{part}" if path else str(part)
    return path


def _problem(error: Any) -> str:
    """What is wrong with one field, in words a sender understands."""
    kind, ctx, value = error.get("type", ""), error.get("ctx") or {}, error.get("input")
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in ("value_error", "assertion_error"):
        msg = str(error.get("msg", ""))
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "enum":
        return f"{value!r} is not one of {ctx.get('expected', '')}"
    if kind in ("uuid_parsing", "uuid_type"):
        return f"{value!r} is not a UUID"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must be at least {least} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not match {ctx.get('pattern')}"
    if kind in _NUMBER_BOUNDS:
        key, text = _NUMBER_BOUNDS[kind]
        return text.format(ctx.get(key))
    if kind == "decimal_max_places":
        return f"may have at most {ctx.get('decimal_places')} decimal places"
    if kind == "decimal_max_digits":
        return f"may have at most {ctx.get('max_digits')} digits"
    return str(error.get("msg", "is invalid"))


def describe_validation(errors: list[Any], root: str = "") -> tuple[str, list[dict[str, Any]]]:
    """A one-line summary and the field-level list of a pydantic validation failure.

    Args:
        errors: pydantic's `errors()`.
        root: the name of the body when it is a list (`events`), so fields read `events[0].type`.
    """
    details = [{"field": _field(e.get("loc", ()), root), "problem": _problem(e)} for e in errors]
    summary = "; ".join(
        f"{d['field']}: {d['problem']}" if d["field"] else d["problem"] for d in details[:5]
    )
    if len(details) > 5:
        summary += f"; and {len(details) - 5} more (see details)"
    return summary, details
