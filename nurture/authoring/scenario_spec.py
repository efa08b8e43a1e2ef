"""How a scenario is declared: its code, its goal, its re-enrolment policy, what comes after.

Plain data, so marketing engineers read a scenario's rules next to its steps, and the lead
workflow applies them deterministically.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nurture.authoring.runtime import Lead

ScenarioFn = Callable[["Lead"], Awaitable[None]]


@dataclass(frozen=True)
class Goal:
    """Ends the scenario at any point: one of `events` since enrolment, or the score at
    `min_score`. The lead then moves on as when the scenario finishes."""

    events: tuple[str, ...] = ()
    min_score: int | None = None
    label: str = ""

    def describe(self) -> str:
        if self.label:
            return self.label
        parts = [" or ".join(self.events)] if self.events else []
        if self.min_score is not None:
            parts.append(f"score {self.min_score}")
        return " or ".join(parts)


@dataclass(frozen=True)
class Reenrol:
    """Whether a lead may enter the scenario again: never, every time, or at most once in
    `every`."""

    allowed: bool
    every: timedelta | None = None

    @classmethod
    def never(cls) -> Reenrol:
        return cls(allowed=False)

    @classmethod
    def always(cls) -> Reenrol:
        return cls(allowed=True)

    @classmethod
    def at_most_every(cls, *, days: float) -> Reenrol:
        return cls(allowed=True, every=timedelta(days=days))

    def refusal(self, scenario: str, last_entered: datetime | None, now: datetime) -> str | None:
        """Why the lead may not enter `scenario` now, or None when it may."""
        if last_entered is None:
            return None
        if not self.allowed:
            return f"{scenario} takes a lead only once"
        if self.every is not None and now < last_entered + self.every:
            return (
                f"{scenario} takes a lead at most once every {self.every.days} days "
                f"(last entered {last_entered:%Y-%m-%d})"
            )
        return None


@dataclass(frozen=True)
class Scenario:
    """A nurture scenario. `then` is where a lead goes when it ends without qualifying
    (None: the long-term track; "" for the long-term track itself: nowhere)."""

    name: str
    run: ScenarioFn
    goal: Goal | None = None
    reenrol: Reenrol = Reenrol(allowed=True)
    then: str | None = None
