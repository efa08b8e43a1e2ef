"""The last line of defence: whatever a route did not expect still answers the JSON envelope.

A database that is locked, busy or unreachable is a 503 the client can retry; anything else
is a 500 `internal_error`. Both are logged by exception type, route and traceback, never by
the exception's message, which may quote personal data (an email in a constraint error).
"""

from __future__ import annotations

import logging
import sqlite3
import traceback
import uuid
from typing import Any

import psycopg
from sqlalchemy import exc as sa_exc
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas.errors import error_body

log = logging.getLogger("nurture.api.errors")

RETRY_AFTER_SECONDS = 5
# sqlite3 result codes (the low byte of the extended code) of a database that cannot serve now.
SQLITE_UNAVAILABLE = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PROTOCOL,
    }
)
# PostgreSQL SQLSTATE classes and codes of the same: connection trouble, no resources,
# operator intervention; a lock or statement timeout, a deadlock or serialization failure.
POSTGRES_UNAVAILABLE_CLASSES = frozenset({"08", "53", "57"})
POSTGRES_UNAVAILABLE_CODES = frozenset({"55P03", "40001", "40P01"})


def database_unavailable(exc: BaseException) -> str | None:
    """Why the database cannot serve the request now (a short code), or None for other errors."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "no free connection"
    if not isinstance(exc, sa_exc.OperationalError):
        return None
    if exc.connection_invalidated:
        return "connection lost"
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", 0) & 0xFF
        return getattr(orig, "sqlite_errorname", "SQLITE") if code in SQLITE_UNAVAILABLE else None
    if isinstance(orig, psycopg.OperationalError):
        state = orig.sqlstate
        if state is None:  # libpq could not connect at all
            return "unreachable"
        if state[:2] in POSTGRES_UNAVAILABLE_CLASSES or state in POSTGRES_UNAVAILABLE_CODES:
            return f"SQLSTATE {state}"
    return None


def _envelope(scope: Scope, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return error_body(code, message, details, path=str(scope.get("path", "")))


def _where(scope: Scope) -> str:
    """`POST /v1/handoffs/{handoff_id}/ack`: the route's template, not the URL with its ids."""
    route = scope.get("route")
    template = getattr(route, "path", None) or "(no route)"
    return f"{scope.get('method', '')} {template}"


def _frames(exc: BaseException) -> str:
    """Where it failed, file, line and function per frame: no source text, no values."""
    return "\n".join(
        f"  {f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)
    )


def response_for(exc: Exception, scope: Scope) -> JSONResponse:
    """The JSON answer to an exception nothing else handled; logs it without its message."""
    reason = database_unavailable(exc)
    if reason is not None:
        log.warning("database unavailable (%s) in %s", reason, _where(scope))
        return JSONResponse(
            _envelope(
                scope,
                "database_unavailable",
                "the database is busy or unreachable; retry the request in a few seconds",
            ),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    reference = uuid.uuid4().hex[:12]
    chain: list[str] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 5:
        chain.append(type(cause).__qualname__)
        cause = cause.__cause__ or cause.__context__
    log.error(
        "unhandled %s in %s (reference %s)\n%s",
        " <- ".join(chain),
        _where(scope),
        reference,
        _frames(exc),
    )
    return JSONResponse(
        _envelope(
            scope,
            "internal_error",
            f"the server failed to answer this request; it is logged as {reference}",
            {"reference": reference},
        ),
        status_code=500,
    )


class CatchAll:
    """ASGI middleware turning any exception that escapes the app into the JSON envelope.

    Starlette's own last-resort handler answers text/plain and re-raises, so the server logs
    the exception with its message; this one answers JSON and logs as `response_for` does.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except ClientDisconnect:  # the client left before its body arrived: no one to answer
            log.info("client disconnected during %s", _where(scope))
        except Exception as exc:
            if started:  # too late for another answer: let the server drop the connection
                raise
            await response_for(exc, scope)(scope, receive, send)
