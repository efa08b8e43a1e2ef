"""The error envelope every failure answers (api.error_handlers, api.server_errors)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.segment import SDK_PATHS


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, for programs: `invalid`, `not_found`, `conflict`...")
    message: str = Field(description="what is wrong, for people")
    details: Any = Field(
        default=None,
        description="for 422 the list of `{field, problem}`; otherwise what the code needs",
    )


class ErrorOut(BaseModel):
    error: ErrorDetail
    code: str | None = Field(
        default=None,
        description="on the CDP SDK paths (/v1/batch, /v1/track...) only: `error.code` again, "
        "where Segment's and RudderStack's SDKs read it",
    )
    message: str | None = Field(
        default=None, description="on the CDP SDK paths only: `error.message` again"
    )


def error_body(code: str, message: str, details: Any = None, *, path: str = "") -> dict[str, Any]:
    """The envelope; on the SDK paths also `code` and `message` at the top level, which is
    where the CDP SDKs look (RudderStack's client fails on a body without them)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    if path in SDK_PATHS:
        return {"error": error, "code": code, "message": message}
    return {"error": error}
