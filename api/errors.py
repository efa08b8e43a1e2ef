"""Domain errors carry their HTTP status; one handler turns them into a JSON error body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from temporalio.service import RPCError, RPCStatusCode

from api.server_errors import CatchAll


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"
    challenge = "Bearer"


class SignInRequired(Unauthorized):
    """For pages a person opens in a browser: the browser then asks for the admin token."""

    challenge = 'Basic realm="nurture", charset="UTF-8"'


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


class MalformedBody(DomainError):
    status_code = 400
    code = "malformed_body"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class Unavailable(DomainError):
    status_code = 503
    code = "unavailable"


def _body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


_REQUEST_PARTS = ("body", "query", "path", "header", "cookie")
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


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """The `Allow` value for the request's path: each method some route takes there.

    Starlette's own 405 names only the first route matching the path (`POST` on /v1/leads,
    which also answers GET). OPTIONS is answered for every known path.
    """
    methods = {"OPTIONS"}
    for method in METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes):
            methods.add(method)
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    app.add_middleware(CatchAll)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        headers = None
        if exc.status_code == 401:
            headers = {
                "WWW-Authenticate": exc.challenge if isinstance(exc, Unauthorized) else "Bearer"
            }
        return JSONResponse(
            _body(exc.code, exc.message, exc.details), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {**e, "loc": tuple(e.get("loc", ()))[1:]}
            if tuple(e.get("loc", ()))[:1] in {(p,) for p in _REQUEST_PARTS}
            else e
            for e in exc.errors()
        ]
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                _body("malformed_body", "the body is not valid JSON"), status_code=400
            )
        summary, details = describe_validation(errors)
        return JSONResponse(_body("invalid", summary, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        """Unknown paths and methods answer in the same envelope as every other error.

        OPTIONS on a known path is 204 with `Allow` (RFC 9110 9.3.7), not a 405: it asks which
        methods exist. No CORS headers: nothing here is meant for other origins' scripts.
        """
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=headers)
            message = (
                f"{request.method} is not allowed on {request.url.path}; use {headers['Allow']}"
            )
        elif exc.status_code == 404 and exc.detail == "Not Found":
            message = f"no endpoint {request.url.path}; the API is listed at /docs"
        elif exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            return JSONResponse(_body("malformed_body", "the body is not valid JSON"), 400)
        else:
            message = str(exc.detail)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(_body(code, message), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RPCError)
    async def _temporal(_: Request, exc: RPCError) -> JSONResponse:
        # A server shutting down cuts the connection mid-call: "transport error" (UNKNOWN).
        cut = exc.status == RPCStatusCode.UNKNOWN and "transport error" in exc.message.lower()
        if cut or exc.status in (
            RPCStatusCode.UNAVAILABLE,
            RPCStatusCode.DEADLINE_EXCEEDED,
            RPCStatusCode.RESOURCE_EXHAUSTED,
        ):
            return JSONResponse(
                _body("unavailable", "the workflow engine is unreachable; retry later"),
                status_code=503,
            )
        if exc.status == RPCStatusCode.INVALID_ARGUMENT:
            return JSONResponse(
                _body("invalid", "the workflow engine refused the request (payload too large?)"),
                status_code=422,
            )
        raise exc

    @app.exception_handler(RuntimeError)
    async def _unconnected(_: Request, exc: RuntimeError) -> JSONResponse:
        """The SDK's client could not (re)connect to Temporal: the engine is down."""
        if "Failed client connect" in str(exc):
            return JSONResponse(
                _body("unavailable", "the workflow engine is unreachable; retry later"),
                status_code=503,
            )
        raise exc
