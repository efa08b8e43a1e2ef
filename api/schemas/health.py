"""What /healthz answers."""

from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    status: str  # ok, or degraded when a check or a notice is not ok
    checks: dict[str, str]  # what the API needs to answer at all: one failing makes it a 503
    notices: dict[str, str] = {}  # what ops must act on while the API still answers (200)
