"""The `Lead` object a scenario awaits on: send, wait, wait for an event, look back, split.

Every primitive is a deterministic Temporal call (timers, conditions, activities),
so a scenario is plain async Python that survives restarts and replays. Each one is
journaled (see `nurture/authoring/journal.py`), so a scenario also survives continue-as-new.
When the lead qualifies, reaches the scenario's goal, moves on or leaves nurturing, the
next await raises `ScenarioStopped` and the scenario ends without sending anything more.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from nurture.authoring.journal import EventLog, Journal
    from nurture.authoring.state import JournalEntry, ScenarioRun
    from nurture.models import BehaviourEvent, LeadProfile
    from nurture.rules.business_time import BusinessCalendar


class ScenarioStopped(Exception):
    """The scenario must end now: the lead qualified, reached the goal, moved on or left."""


class LeadHost(Protocol):
    """What the lead workflow offers its scenario."""

    lead_id: str
    profile: LeadProfile
    events: EventLog
    current: ScenarioRun | None

    @property
    def stopped(self) -> bool: ...

    @property
    def score(self) -> int: ...

    def calendar(self) -> BusinessCalendar: ...

    def show_waiting(self, what: str) -> None: ...

    def move_to(self, scenario: str, why: str) -> None: ...

    async def send_step(self, step: str, occurrence: int) -> None: ...

    async def record_split(self, split: str, variant: str) -> str: ...


def _delta(days: float, hours: float, minutes: float) -> timedelta:
    return timedelta(days=days, hours=hours, minutes=minutes)


class Lead:
    """A lead as its scenario sees it. Holds no personal data: IDs and scoring fields only."""

    def __init__(self, host: LeadHost, run: ScenarioRun) -> None:
        self._host = host
        self._run = run  # a later enrolment replaces host.current and so stops this one
        self._journal = Journal(run)

    @property
    def diverged(self) -> bool:
        """The resumed scenario took another path than its journal and went on live."""
        return self._journal.diverged

    @property
    def _stopped(self) -> bool:
        return self._host.stopped or self._host.current is not self._run

    # --- who the lead is ---------------------------------------------------------

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
    def enrolled_at(self) -> datetime:
        return self._run.started_at

    @property
    def scenario(self) -> str:
        return self._run.scenario

    @property
    def score(self) -> int:
        return int(self._read("score", lambda: self._host.score))

    def now(self) -> datetime:
        """Workflow time (recorded, so a resumed scenario sees the time it saw)."""
        entry = self._journal.recall("read", "now")
        if entry is not None and entry.until is not None:
            return entry.until
        now = workflow.now()
        self._journal.record(JournalEntry(op="read", key="now", until=now))
        return now

    # --- doing -------------------------------------------------------------------

    async def send(self, step: str) -> None:
        """Send the scenario's `step` mail (template `scenarios/templates/<scenario>/<step>`)."""
        self._check()
        if self._journal.recall("send", step) is not None:
            return
        occurrence = self._journal.sends_of(step) + 1
        await self._host.send_step(step, occurrence)
        self._journal.record(JournalEntry(op="send", key=step))

    async def wait(self, *, days: float = 0, hours: float = 0, minutes: float = 0) -> None:
        """Sleep (durably) for the given time."""
        await self._sleep("wait", lambda: workflow.now() + _delta(days, hours, minutes))

    async def wait_until(self, when: datetime) -> None:
        """Sleep until `when` (timezone-aware); returns at once if it has passed."""
        if when.tzinfo is None:
            raise ValueError("wait_until needs a timezone-aware datetime")
        await self._sleep("wait_until", lambda: when)

    async def wait_business_days(self, days: int = 0, *, at: time = time(10, 0)) -> None:
        """Sleep until `at` o'clock, lead's local time, `days` business days from today
        (weekends and public holidays skipped); `days=0`: today's `at`, or the next
        business day's when it has passed."""
        await self.wait_until(self.business_time(days, at=at))

    def business_time(self, days: int = 0, *, at: time = time(10, 0)) -> datetime:
        """The moment `wait_business_days` would wake up."""
        return self._host.calendar().business_day_at(self.now(), days, at)

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
        key = ",".join(event_types)
        entry = self._journal.recall("wait_for", key)
        if entry is not None and entry.done:
            return bool(entry.result)
        if entry is None:
            deadline = until if until is not None else workflow.now() + _delta(days, hours, minutes)
            entry = self._journal.record(
                JournalEntry(
                    op="wait_for", key=key, until=deadline, mark=self._host.events.total, done=False
                )
            )
        deadline, mark = entry.until or workflow.now(), entry.mark or 0
        remaining = deadline - workflow.now()
        arrived = False
        if remaining > timedelta(0):
            self._host.show_waiting(f"waiting for {key or 'any event'} until {_iso(deadline)}")

            def ready() -> bool:
                return self._stopped or bool(self._host.events.since(mark, event_types))

            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(ready, timeout=remaining)
            arrived = bool(self._host.events.since(mark, event_types))
        self._check()
        entry.done, entry.result = True, arrived
        return arrived

    async def move_to(self, scenario: str) -> None:
        """End this scenario and enter `scenario` now (its re-enrolment policy is not asked)."""
        self._check()
        self._host.move_to(scenario, f"moved by {self._run.scenario}")
        raise ScenarioStopped()

    async def split(self, name: str, variants: dict[str, int] | list[str]) -> str:
        """The lead's variant in the A/B split `name`: stable for this lead, recorded on its
        timeline, and the same on every replay even if the weights change later."""
        self._check()
        entry = self._journal.recall("split", name)
        if entry is not None:
            return str(entry.result)
        chosen = await self._host.record_split(name, pick_variant(self.id, name, variants))
        self._journal.record(JournalEntry(op="split", key=name, result=chosen))
        return chosen

    def patched(self, change: str) -> bool:
        """`workflow.patched` for scenarios: True for leads that reach this point with the
        new code, False for leads already past it when the change was deployed. Recorded,
        so a scenario resumed after continue-as-new takes the path it took."""
        entry = self._journal.recall_if_next("patched", change)
        if entry is not None:
            return bool(entry.result)
        if self._journal.replaying:
            return False  # the journal was written before the change: the old path
        taken = workflow.patched(change)
        self._journal.record(JournalEntry(op="patched", key=change, result=taken))
        return taken

    # --- looking back --------------------------------------------------------------

    def did(self, *event_types: str, within: timedelta | None = None) -> bool:
        """Whether the lead did any of `event_types` (in the last `within`, if given)."""
        key = f"did:{','.join(event_types)}:{within}"
        return bool(self._read(key, lambda: bool(self._events(event_types, within))))

    def events(self, *event_types: str, within: timedelta | None = None) -> list[BehaviourEvent]:
        """Recent events of these types (all types when none is named), oldest first."""
        key = f"events:{','.join(event_types)}:{within}"
        raw = self._read(
            key, lambda: [e.model_dump(mode="json") for e in self._events(event_types, within)]
        )
        return [BehaviourEvent.model_validate(e) for e in raw]

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

    # --- internals -------------------------------------------------------------------

    def _events(self, types: tuple[str, ...], within: timedelta | None) -> list[BehaviourEvent]:
        found = self._host.events.matching(types)
        if within is not None:
            cutoff = workflow.now() - within
            found = [e for e in found if e.applied_at >= cutoff]
        return [e.event for e in found]

    def _read(self, key: str, live: Any) -> Any:
        entry = self._journal.recall("read", key)
        if entry is not None:
            return entry.result
        value = live()
        self._journal.record(JournalEntry(op="read", key=key, result=value))
        return value

    async def _sleep(self, op: str, deadline_of: Any) -> None:
        self._check()
        entry = self._journal.recall(op, "")
        if entry is not None and entry.done:
            return
        if entry is None:
            entry = self._journal.record(JournalEntry(op=op, until=deadline_of(), done=False))
        deadline = entry.until or workflow.now()
        remaining = deadline - workflow.now()
        if remaining > timedelta(0):
            self._host.show_waiting(f"sleeping until {_iso(deadline)}")
            with contextlib.suppress(TimeoutError):  # the normal way a wait ends
                await workflow.wait_condition(lambda: self._stopped, timeout=remaining)
        self._check()
        entry.done = True

    def _check(self) -> None:
        if self._stopped:
            raise ScenarioStopped()


def pick_variant(lead_id: str, split: str, variants: dict[str, int] | list[str]) -> str:
    """A stable, evenly spread choice from the lead ID and the split's name (no randomness)."""
    weights = variants if isinstance(variants, dict) else dict.fromkeys(variants, 1)
    total = sum(weights.values())
    if not weights or total <= 0 or any(w < 0 for w in weights.values()):
        raise ValueError(f"split {split!r} needs variants with positive weights")
    digest = hashlib.sha256(f"{split}:{lead_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for name, weight in weights.items():
        if point < weight:
            return name
        point -= weight
    return next(reversed(weights))  # not reached: point < total


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
