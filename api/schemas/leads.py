"""Lead intake's answer and a lead's state (the intake body itself is
nurture.orchestration.intake.LeadIn, shared with the CSV import)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nurture.models import Stage
from nurture.orchestration.intake import LeadIn

MAX_OFFSET = 1_000_000_000  # paging bound: well inside a 64-bit integer on every database


class LeadCreated(BaseModel):
    id: uuid.UUID
    created: bool
    pending: bool = False
    score: int
    stage: Stage
    scenario: str
    step: str | None
    enrolment: str | None = Field(
        default=None,
        description="for a known lead: whether it entered the scenario asked for, and if not why",
    )
    halted: str | None = Field(
        default=None, description="set when the lead's workflow was stopped or closed by ops"
    )


FitGrade = Literal["A", "B", "C", "D"]


class Fit(BaseModel):
    """The lead's fit: its attribute rules' points, graded by the model's fit grades."""

    grade: FitGrade = Field(description="A (the profile sales wants first) to D")
    points: int = Field(description="the attribute rules' points in the score")


class ScoreItem(BaseModel):
    rule: str
    label: str
    points: int


class TimelineItem(BaseModel):
    at: datetime
    kind: str
    text: str
    data: dict[str, Any] = Field(default_factory=dict)


class LeadSummary(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    company: str
    source: str
    scenario: str
    step: str | None
    stage: str
    score: int
    fit_grade: FitGrade = Field(description="A-D, from the lead's attributes")
    engagement: int = Field(description="the behaviour rules' points (decayed and capped)")
    created_at: datetime


class LeadDetail(LeadSummary):
    job_title: str
    industry: str
    company_size: int | None
    timezone: str | None
    attributes: dict[str, Any]
    fit: Fit
    score_breakdown: list[ScoreItem]
    rep: str | None
    updated_at: datetime
    halted: str | None = Field(
        default=None,
        description="null while the lead's workflow runs; else stopped, terminated, canceled, "
        "failed or timed_out (new events are parked until `nurture leads resume`)",
    )
    halted_at: datetime | None = None
    parked_events: int = Field(default=0, description="events kept for a halted lead")
    timeline: list[TimelineItem]


class LeadPage(BaseModel):
    total: int
    items: list[LeadSummary]


MAX_BULK_LEADS = 500  # one request's rows: a few hundred KB, a few seconds of the API's work


class BulkRow(BaseModel):
    """What became of one lead of a bulk intake, by its place in the request."""

    index: int
    status: str = Field(
        description="accepted: stored and enrolled (its workflow runs it once a worker takes "
        "it); halted: stored, not enrolled (ops closed its workflow); rejected: see "
        "http_status and reason"
    )
    id: uuid.UUID | None = None
    created: bool = False
    http_status: int | None = Field(
        default=None, description="for a rejected row: 422 bad field, 503 retry it later"
    )
    reason: str | None = None


class BulkIntake(BaseModel):
    accepted: int
    halted: int
    rejected: int
    rows: list[BulkRow]
    backlog: int | None = Field(
        default=None,
        description="workflow and activity tasks queued that no worker has taken yet when "
        "the request came (null: unknown)",
    )


class BulkIn(BaseModel):
    """Up to MAX_BULK_LEADS leads; each is judged on its own (a bad one is rejected alone)."""

    model_config = ConfigDict(extra="forbid")
    leads: list[Any] = Field(min_length=1)


class BulkInDoc(BaseModel):  # what the document shows: each row is a lead intake body
    model_config = ConfigDict(extra="forbid", title="BulkIn")
    leads: list[LeadIn] = Field(min_length=1, max_length=MAX_BULK_LEADS)
