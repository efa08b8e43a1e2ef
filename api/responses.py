"""What each error status means, documented once: routes name the codes they can answer.

Every error body is the envelope `{"error": {"code", "message", "details"?}}` (api.errors,
api.server_errors); `ErrorOut` (api.schemas.errors) documents it, so the OpenAPI document
says so too.
"""

from __future__ import annotations

from typing import Any

from api.schemas.errors import ErrorOut

DEFAULTS: dict[int, str] = {
    400: "the body is not valid JSON, or empty where one is required",
    401: "no token or signature, or a wrong, disabled or stale one (`WWW-Authenticate` says "
    "which scheme)",
    403: "the token is valid but not for this: another rep's handoff or lead",
    404: "no such resource",
    409: "the action is out of order for the resource's state",
    413: "the body is larger than 1 MiB, or holds more than 1,000 items",
    422: "a field or parameter is invalid: `details` names each, with the problem",
    500: "an unexpected failure: logged with the `reference` in `details`",
    503: "the database or the workflow engine is busy or unreachable; retry later "
    "(`Retry-After` when known)",
}


def errors(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each code with the envelope and its meaning.

    Args:
        codes: statuses the route answers with the default meaning.
        described: statuses with a meaning of their own, as `e404="no lead with this id"`.
    """
    meanings = {code: DEFAULTS[code] for code in codes}
    meanings |= {int(name.removeprefix("e")): text for name, text in described.items()}
    return {
        code: {"model": ErrorOut, "description": text} for code, text in sorted(meanings.items())
    }


# Every operation can meet a failure or a database that is away.
APP_WIDE = errors(500, 503)
