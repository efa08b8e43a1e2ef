"""Domain errors carry their HTTP status; one handler turns them into a JSON error body."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from temporalio.service import RPCError, RPCStatusCode


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


def describe_validation(errors: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    """A one-line summary and the field-level list of a pydantic validation failure."""
    details = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
            "problem": e.get("msg", ""),
        }
        for e in errors
    ]
    summary = "; ".join(f"{d['field'] or 'body'}: {d['problem']}" for d in details[:5])
    return summary, details


def install(app: FastAPI) -> None:
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
        summary, details = describe_validation(list(exc.errors()))
        return JSONResponse(_body("invalid", summary, details), status_code=422)

    @app.exception_handler(RPCError)
    async def _temporal(_: Request, exc: RPCError) -> JSONResponse:
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
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
