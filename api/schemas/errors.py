"""The error envelope every failure answers (api.error_handlers, api.server_errors)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, for programs: `invalid`, `not_found`, `conflict`...")
    message: str = Field(description="what is wrong, for people")
    details: Any = Field(
        default=None,
        description="for 422 the list of `{field, problem}`; otherwise what the code needs",
    )


class ErrorOut(BaseModel):
    error: ErrorDetail
