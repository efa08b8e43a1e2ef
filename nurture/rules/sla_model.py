"""The shape of a marketing–sales SLA; `scenarios/sla.py` fills it in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from nurture.rules.business_time import BusinessCalendar


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"  # next active rep in turn
    TERRITORY = "territory"  # reps whose territory or industry matches the lead, in turn
    WEIGHTED = "weighted"  # share of leads proportional to each rep's weight


@dataclass(frozen=True)
class Priority:
    """Leads scoring at least `min_score` must be acknowledged within `acknowledge_within`."""

    name: str
    min_score: int
    acknowledge_within: timedelta  # business time


@dataclass(frozen=True)
class EscalationLadder:
    """What happens after a missed deadline, each delay counted in business time from it."""

    remind_rep_after: timedelta
    tell_manager_after: timedelta
    reassign_after: timedelta
    max_reassignments: int


@dataclass(frozen=True)
class ServiceLevelAgreement:
    quality_lead: str
    handoff_threshold: int
    priorities: tuple[Priority, ...]
    calendar: BusinessCalendar
    ladder: EscalationLadder
    assignment: Strategy
    reject_reasons: tuple[str, ...]
    lost_reasons: tuple[str, ...]
    feedback: str
    recycle_scenario: str

    def priority_for(self, score: int) -> Priority:
        """The strictest priority the score reaches (priorities sorted by min_score)."""
        eligible = [p for p in self.priorities if score >= p.min_score]
        if not eligible:
            return min(self.priorities, key=lambda p: p.min_score)
        return max(eligible, key=lambda p: p.min_score)
