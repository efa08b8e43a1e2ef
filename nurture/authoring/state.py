"""What a scenario's run remembers: its enrolment, its journal, the events it can look back on.

These travel inside the lead workflow's carried state, so new fields always have defaults.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from nurture.models import BehaviourEvent


class LoggedEvent(BaseModel):
    """A behaviour event as the scenario can look back on it, numbered in arrival order."""

    seq: int
    applied_at: datetime
    event: BehaviourEvent


class JournalEntry(BaseModel):
    """One thing a scenario did or read, so a resumed scenario can fast-forward to it."""

    op: str  # send | wait | wait_for | read | split
    key: str = ""
    until: datetime | None = None  # a wait's deadline, or the time a `now()` read returned
    mark: int | None = None  # wait_for: the event sequence number it waits beyond
    result: Any = None
    done: bool = True  # False: a wait in progress, resumed with the same deadline


class ScenarioRun(BaseModel):
    """One enrolment of the lead in one scenario."""

    scenario: str
    enrolment: int
    started_at: datetime
    events_mark: int = 0  # goal events count from here
    journal: list[JournalEntry] = Field(default_factory=list)
