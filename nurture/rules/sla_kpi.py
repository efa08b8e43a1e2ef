"""SLA compliance figures from a period's handoffs and their SLA events: pure arithmetic.

The data layer (nurture.repo.kpi_sales) only fetches the rows; this module runs the clocks
on the same business calendar the handoff workflow uses, so a figure here means what the
rep's deadline meant. Kept apart from the queries so the rules are tested without a
database, and a change of how a clock counts is read in one place.

A clock is answered by the first ack or reject in it: a reject by the deadline is a timely
answer from sales (they looked at the lead and said why not). Overall, the clock is the
handoff's first one, so a handoff answered only after its first deadline (say, by a second
rep after a reassignment) is not within the SLA, and its time to answer runs from the
handoff. Per rep, each assignment runs its own clock, `window_of(priority)` business time
from the moment the rep got the lead, as the handoff workflow does: the first rep missed,
and the second rep's answer in time counts as in time for them. A rep's `reassignments` are
the handoffs taken from them after they missed; a breach counts for the rep who held the
lead when it was withdrawn. A clock with no answer is open while `now` is before its
deadline and the handoff still pending.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, Field

from nurture.models import CLOCK_STARTS, SLA_ANSWERS, HandoffStatus, SlaEventKind
from nurture.rules.business_time import BusinessCalendar


class Handoff(Protocol):
    """The handoff row the figures read (`nurture.tables.Handoff`; rules import no tables)."""

    id: str
    created_at: datetime
    priority: str
    status: str
    outcome_reason: str | None


class SlaEvent(Protocol):
    """One SLA event row (`nurture.tables.SlaEvent`)."""

    event: str
    at: datetime
    rep_id: uuid.UUID | None


# SLA figures of a set of clocks: handoffs overall, or one rep's assignments. Every clock
# ends one of three ways, so `handoffs == within_sla + missed_sla + open_within_sla`:
# answered (ack or reject) by its deadline; missed (answered late, or the deadline passed
# unanswered); or still open with its deadline ahead, which is not yet a success or a
# failure and so is left out of `within_sla_rate`. (A comment, not a docstring: the API
# documents this model, and its document stays as it was.)
class SlaFigures(BaseModel):
    handoffs: int = Field(description="overall: handoffs; per rep: assignments (clocks)")
    acknowledged: int = Field(description="acknowledged at some point, in time or late")
    rejected_without_ack: int = Field(description="sales' first answer was a reject")
    within_sla: int = Field(description="answered (ack or reject) by the clock's deadline")
    missed_sla: int = Field(description="answered late, or the deadline passed unanswered")
    open_within_sla: int = Field(description="unanswered, deadline still ahead: not in the rate")
    within_sla_rate: float | None = Field(description="within_sla / (handoffs - open_within_sla)")
    median_ack_business_hours: float | None
    p90_ack_business_hours: float | None
    escalations: int
    reassignments: int = Field(description="per rep: handoffs taken from the rep after a miss")
    breaches: int


@dataclass(frozen=True)
class SlaHistory:
    """What the figures are computed from: the period's handoffs, their events in time
    order (per handoff id), and the reps' names."""

    handoffs: Sequence[Handoff]
    events: Mapping[str, Sequence[SlaEvent]]
    rep_names: Mapping[uuid.UUID, str]


@dataclass(frozen=True)
class SlaKpi:
    overall: SlaFigures
    by_rep: dict[str, SlaFigures]  # by rep name, in name order
    reject_reasons: dict[str, int]  # most frequent first, ties by name


@dataclass
class _Clocks:
    """A running count of clocks; `figures()` is what it comes to."""

    handoffs: int = 0
    acknowledged: int = 0
    rejected_without_ack: int = 0
    within_sla: int = 0
    open_within_sla: int = 0
    escalations: int = 0
    reassignments: int = 0
    breaches: int = 0
    ack_hours: list[float] = field(default_factory=list)  # business hours to the answer

    def clock(
        self,
        calendar: BusinessCalendar,
        started: datetime,
        due: datetime,
        answered: SlaEvent | None,
        still_open: bool,
    ) -> None:
        """Count one clock; `still_open` when unanswered with its deadline ahead."""
        self.handoffs += 1
        if answered is None:
            self.open_within_sla += int(still_open)
            return
        self.acknowledged += int(answered.event == SlaEventKind.ACK)
        self.rejected_without_ack += int(answered.event == SlaEventKind.REJECT)
        self.within_sla += int(answered.at <= due)
        self.ack_hours.append(calendar.between(started, answered.at) / timedelta(hours=1))

    def figures(self) -> SlaFigures:
        decided = self.handoffs - self.open_within_sla
        return SlaFigures(
            handoffs=self.handoffs,
            acknowledged=self.acknowledged,
            rejected_without_ack=self.rejected_without_ack,
            within_sla=self.within_sla,
            missed_sla=decided - self.within_sla,
            open_within_sla=self.open_within_sla,
            within_sla_rate=round(self.within_sla / decided, 4) if decided else None,
            median_ack_business_hours=percentile(self.ack_hours, 0.5),
            p90_ack_business_hours=percentile(self.ack_hours, 0.9),
            escalations=self.escalations,
            reassignments=self.reassignments,
            breaches=self.breaches,
        )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (inclusive method), 2 places; None of nothing."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return round(ordered[0], 2)
    return round(statistics.quantiles(ordered, n=100, method="inclusive")[int(q * 100) - 1], 2)


@dataclass
class _Turn:
    """One rep's hold on a handoff: from its clock start to the next rep's."""

    rep_id: uuid.UUID
    started: datetime
    answered: SlaEvent | None = None
    escalations: int = 0
    breaches: int = 0


def turns(trail: Sequence[SlaEvent]) -> list[_Turn]:
    """Split a handoff's events (in time order) into its reps' turns."""
    found: list[_Turn] = []
    for e in trail:
        if e.event in CLOCK_STARTS and e.rep_id is not None:
            found.append(_Turn(rep_id=e.rep_id, started=e.at))
        elif not found:
            continue  # nothing before the first clock start can count for a rep
        elif e.event in SLA_ANSWERS and found[-1].answered is None:
            found[-1].answered = e
        elif e.event == SlaEventKind.ESCALATION:
            found[-1].escalations += 1
        elif e.event == SlaEventKind.BREACH:
            found[-1].breaches += 1
    return found


def sla_kpi(
    history: SlaHistory,
    calendar: BusinessCalendar,
    window_of: Callable[[str], timedelta],
    now: datetime,
) -> SlaKpi:
    """The figures overall (one clock per handoff) and per rep (one per assignment), and
    the reasons of rejected handoffs; see the module's docstring for how clocks count."""
    overall = _Clocks()
    per: dict[str, _Clocks] = defaultdict(_Clocks)
    for h in history.handoffs:
        window = window_of(h.priority)
        still_pending = h.status == HandoffStatus.PENDING
        trail = history.events.get(h.id, ())
        first = next((e for e in trail if e.event in SLA_ANSWERS), None)
        due = calendar.add(h.created_at, window)
        overall.clock(calendar, h.created_at, due, first, still_pending and now < due)
        held = turns(trail)
        for i, turn in enumerate(held):
            clocks = per[history.rep_names.get(turn.rep_id, str(turn.rep_id))]
            due = calendar.add(turn.started, window)
            last = i == len(held) - 1
            clocks.clock(
                calendar, turn.started, due, turn.answered, last and still_pending and now < due
            )
            clocks.escalations += turn.escalations
            clocks.breaches += turn.breaches
            clocks.reassignments += int(not last)
        for e in trail:
            overall.escalations += int(e.event == SlaEventKind.ESCALATION)
            overall.breaches += int(e.event == SlaEventKind.BREACH)
            overall.reassignments += int(e.event == SlaEventKind.REASSIGNED)
    reasons = Counter(
        h.outcome_reason
        for h in history.handoffs
        if h.status == HandoffStatus.REJECTED and h.outcome_reason
    )
    return SlaKpi(
        overall=overall.figures(),
        by_rep={rep: clocks.figures() for rep, clocks in sorted(per.items())},
        reject_reasons=ranked(reasons),
    )


def ranked(counts: Counter[str]) -> dict[str, int]:
    """Most frequent first, ties by name: the same order on every database."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
