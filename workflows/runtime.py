"""The `Lead` object a scenario awaits on: send, wait, wait for an event, look back.

Every primitive is a deterministic Temporal call (timers, conditions, activities),
so a scenario is plain async Python that survives restarts and replays. When the
lead qualifies (or otherwise leaves nurturing) the next await raises
`ScenarioStopped` and the scenario ends without sending anything more.
"""

from __future__ import annotations

import contextlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.models import BehaviourEvent, LeadProfile


class ScenarioStopped(Exception):
    """The lead left nurturing (qualified, unsubscribed...): the scenario must end now."""


@dataclass(frozen=True)
class SeenEvent:
    seq: int
    applied_at: datetime
    event: BehaviourEvent


class EventLog:
    """The recent behaviour events a scenario can look back on, numbered in arrival order."""

    def __init__(self, keep: int = 500) -> None:
        self._recent: deque[SeenEvent] = deque(maxlen=keep)
        self.total = 0

    def append(self, event: BehaviourEvent, applied_at: datetime) -> None:
        self.total += 1
        self._recent.append(SeenEvent(self.total, applied_at, event))

    def since(self, seq: int, types: tuple[str, ...]) -> list[SeenEvent]:
        return [e for e in self._recent if e.seq > seq and (not types or e.event.type in types)]

    def matching(self, types: tuple[str, ...]) -> list[SeenEvent]:
        return self.since(0, types)


class LeadHost(Protocol):
    """What the lead workflow offers its scenario."""

    lead_id: str
    profile: LeadProfile
    events: EventLog
    enrolled_at: datetime
    enrolment: int

    @property
    def stopped(self) -> bool: ...

    @property
    def score(self) -> int: ...

    async def send_step(self, step: str) -> None: ...


def _delta(days: float, hours: float, minutes: float) -> timedelta:
    return timedelta(days=days, hours=hours, minutes=minutes)


class Lead:
    """A lead as its scenario sees it. Holds no personal data: IDs and scoring fields only."""

    def __init__(self, host: LeadHost) -> None:
        self._host = host
        self._enrolment = host.enrolment  # a later enrolment (after recycling) stops this one

    @property
    def _stopped(self) -> bool:
        return self._host.stopped or self._host.enrolment != self._enrolment

    @property
    def id(self) -> str:
        return self._host.lead_id

    @property
    def profile(self) -> LeadProfile:
        return self._host.profile

    @property
    def attributes(self) -> dict[str, Any]:
        return self._host.profile.attributes

    @property
    def score(self) -> int:
        return self._host.score

    @property
    def enrolled_at(self) -> datetime:
        return self._host.enrolled_at

    def now(self) -> datetime:
        return workflow.now()

    async def send(self, step: str) -> None:
        """Send the scenario's `step` mail (template `scenarios/templates/<scenario>/<step>`)."""
        self._check()
        await self._host.send_step(step)

    async def wait(self, *, days: float = 0, hours: float = 0, minutes: float = 0) -> None:
        """Sleep (durably) for the given time."""
        await self.wait_until(self.now() + _delta(days, hours, minutes))

    async def wait_until(self, when: datetime) -> None:
        """Sleep until `when` (timezone-aware); returns at once if it has passed."""
        self._check()
        remaining = when - self.now()
        if remaining > timedelta(0):
            with contextlib.suppress(TimeoutError):  # the normal way a wait ends
                await workflow.wait_condition(lambda: self._stopped, timeout=remaining)
        self._check()

    async def wait_for(
        self,
        *event_types: str,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        until: datetime | None = None,
    ) -> bool:
        """Wait for a new event of one of `event_types`; False when the time runs out first."""
        self._check()
        mark = self._host.events.total
        deadline = until if until is not None else self.now() + _delta(days, hours, minutes)
        remaining = deadline - self.now()
        if remaining <= timedelta(0):
            return False

        def arrived() -> bool:
            return self._stopped or bool(self._host.events.since(mark, event_types))

        try:
            await workflow.wait_condition(arrived, timeout=remaining)
        except TimeoutError:
            self._check()
            return False
        self._check()
        return True

    def did(self, *event_types: str, within: timedelta | None = None) -> bool:
        """Whether the lead did any of `event_types` (in the last `within`, if given)."""
        return bool(self.events(*event_types, within=within))

    def events(self, *event_types: str, within: timedelta | None = None) -> list[BehaviourEvent]:
        """Recent events of these types (all types when none is named), oldest first."""
        found = self._host.events.matching(event_types)
        if within is not None:
            cutoff = self.now() - within
            found = [e for e in found if e.applied_at >= cutoff]
        return [e.event for e in found]

    def attribute_time(self, name: str, default: datetime) -> datetime:
        """A timezone-aware datetime from the lead's attributes, or `default`."""
        raw = self.attributes.get(name)
        if isinstance(raw, str):
            try:
                parsed = datetime.fromisoformat(raw)
            except ValueError:
                return default
            if parsed.tzinfo is not None:
                return parsed
        return default

    def _check(self) -> None:
        if self._stopped:
            raise ScenarioStopped()
