"""One handler per kind of failure, each answering the JSON error envelope.

Domain errors (api.errors) carry their status; Temporal failures are translated by
`api.errors.from_temporal`; request validation, unknown paths and methods get the same
envelope; whatever is left is api.server_errors' last line of defence (a 500 or a 503).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from temporalio.service import RPCError

from api.errors import Busy, DomainError, Unauthorized, from_temporal
from api.schemas.errors import error_body
from api.server_errors import CatchAll
from nurture.validation import describe_validation


def _body(request: Request, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return error_body(code, message, details, path=request.url.path)


def _domain_response(request: Request, exc: DomainError) -> JSONResponse:
    headers = None
    if exc.status_code == 401:
        headers = {"WWW-Authenticate": exc.challenge if isinstance(exc, Unauthorized) else "Bearer"}
    if isinstance(exc, Busy):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(
        _body(request, exc.code, exc.message, exc.details),
        status_code=exc.status_code,
        headers=headers,
    )


_REQUEST_PARTS = ("body", "query", "path", "header", "cookie")
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
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return _domain_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {**e, "loc": tuple(e.get("loc", ()))[1:]}
            if tuple(e.get("loc", ()))[:1] in {(p,) for p in _REQUEST_PARTS}
            else e
            for e in exc.errors()
        ]
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                _body(request, "malformed_body", "the body is not valid JSON"), status_code=400
            )
        summary, details = describe_validation(errors)
        return JSONResponse(_body(request, "invalid", summary, details), status_code=422)

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
            if _a_person_browsing(request):
                return HTMLResponse(NO_SUCH_PAGE, status_code=404)
            message = f"no endpoint {request.url.path}; the API is listed at /docs"
        elif exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            return JSONResponse(_body(request, "malformed_body", "the body is not valid JSON"), 400)
        else:
            message = str(exc.detail)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            _body(request, code, message), status_code=exc.status_code, headers=headers
        )

    async def _temporal(request: Request, exc: Exception) -> JSONResponse:
        """A Temporal failure no service gave a meaning of its own: the engine is away (503),
        refused the payload (422); anything else is a bug, for the last-resort 500."""
        mapped = from_temporal(exc)
        if mapped is None:
            raise exc
        return _domain_response(request, mapped)

    app.add_exception_handler(RPCError, _temporal)
    app.add_exception_handler(RuntimeError, _temporal)  # the SDK's "Failed client connect"


# A mistyped or truncated address under the pages reps open (a link cut by a mail client):
# a page that says so and leads back, not the API's JSON.
NO_SUCH_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nurture · No such page</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:32rem;padding:0 1rem;
line-height:1.5}a{color:#1d5fd6}</style></head>
<body><main><h1>No such page</h1>
<p>The address may have been cut or mistyped. Nothing was changed.</p>
<p><a href="/sales">Open your queue</a> · ページが見つかりません:
<a href="/sales">担当リストを開く</a></p></main></body></html>
"""


def _a_person_browsing(request: Request) -> bool:
    """A browser asking for one of the rep pages (not a script asking the API)."""
    path = request.url.path
    wants_html = "text/html" in request.headers.get("accept", "")
    return wants_html and (path == "/sales" or path.startswith(("/sales/", "/r/")))
