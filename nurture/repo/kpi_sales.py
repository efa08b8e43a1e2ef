"""SLA compliance and the scoring review: what sales did with marketing's leads.

Computed in Python over the rows of the period (handoffs are few next to events), so the
business-hour arithmetic is the same calendar the SLA clock uses. Rows are picked with
subqueries, never with lists of IDs: psycopg refuses more than 65,535 parameters.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.rules.business_time import BusinessCalendar
from nurture.tables import Handoff, Lead, LeadEvent, Rep, SlaEvent, StageChange


@dataclass
class SlaStats:
    """SLA figures of a set of clocks: handoffs overall, or one rep's assignments.

    Every clock ends one of three ways, so `handoffs == within_sla + missed_sla +
    open_within_sla`: answered (ack or reject) by its deadline; missed (answered late, or
    the deadline passed unanswered); or still open with its deadline ahead, which is not
    yet a success or a failure and so is left out of `within_sla_rate`.
    """

    handoffs: int = 0
    acknowledged: int = 0  # acknowledged at some point, in time or late
    rejected_without_ack: int = 0  # sales' first answer was a reject
    within_sla: int = 0
    open_within_sla: int = 0
    escalations: int = 0
    reassignments: int = 0
    breaches: int = 0
    ack_hours: list[float] = field(default_factory=list)  # business hours to the first answer

    @property
    def missed_sla(self) -> int:
        return self.handoffs - self.within_sla - self.open_within_sla

    @property
    def within_sla_rate(self) -> float | None:
        decided = self.handoffs - self.open_within_sla
        return round(self.within_sla / decided, 4) if decided else None

    def ack_percentile(self, q: float) -> float | None:
        if not self.ack_hours:
            return None
        ordered = sorted(self.ack_hours)
        if len(ordered) == 1:
            return round(ordered[0], 2)
        return round(statistics.quantiles(ordered, n=100, method="inclusive")[int(q * 100) - 1], 2)

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
        self.acknowledged += int(answered.event == "ack")
        self.rejected_without_ack += int(answered.event == "reject")
        self.within_sla += int(answered.at <= due)
        self.ack_hours.append(calendar.between(started, answered.at) / timedelta(hours=1))


CLOCK_STARTS = ("assigned", "reassigned")
ANSWERS = ("ack", "reject")


@dataclass
class _Turn:
    """One rep's hold on a handoff: from its clock start to the next rep's."""

    rep_id: uuid.UUID
    started: datetime
    answered: SlaEvent | None = None
    escalations: int = 0
    breaches: int = 0


def _handoff_filter(
    start: datetime | None, end: datetime | None, campaign: str | None
) -> list[sa.ColumnElement[bool]]:
    """Handoffs created in [start, end) of leads whose source is `campaign`."""
    where = []
    if start is not None:
        where.append(col(Handoff.created_at) >= start)
    if end is not None:
        where.append(col(Handoff.created_at) < end)
    if campaign is not None:
        where.append(col(Handoff.lead_id).in_(select(Lead.id).where(Lead.source == campaign)))
    return where


def sla(
    session: Session,
    calendar: BusinessCalendar,
    window_of: Callable[[str], timedelta],
    start: datetime | None,
    end: datetime | None,
    campaign: str | None = None,
    now: datetime | None = None,
) -> tuple[SlaStats, dict[str, SlaStats], Counter[str]]:
    """SLA figures for handoffs created in [start, end) of leads whose source is `campaign`:
    overall (one clock per handoff), per rep (one clock per assignment), and reject reasons.

    A clock is answered by the first ack or reject in it: a reject by the deadline is a
    timely answer from sales (they looked at the lead and said why not). Overall, the clock
    is the handoff's first one, so a handoff answered only after its first deadline (say,
    by a second rep after a reassignment) is not within the SLA, and its time to answer
    runs from the handoff. Per rep, each assignment runs its own clock, `window_of(priority)`
    business time from the moment the rep got the lead, as the handoff workflow does: the
    first rep missed, and the second rep's answer in time counts as in time for them. A rep's
    `reassignments` are the handoffs taken from them after they missed; a breach counts for
    the rep who held the lead when it was withdrawn. A clock with no answer is open while
    `now` (default: the present) is before its deadline and the handoff still pending.
    """
    now = now or datetime.now(UTC)
    where = _handoff_filter(start, end, campaign)
    handoffs = {h.id: h for h in session.exec(select(Handoff).where(*where)).all()}
    ids = select(Handoff.id).where(*where)
    events: dict[str, list[SlaEvent]] = defaultdict(list)
    for e in session.exec(
        select(SlaEvent)
        .where(col(SlaEvent.handoff_id).in_(ids))
        .order_by(col(SlaEvent.at), col(SlaEvent.id))
    ).all():
        events[e.handoff_id].append(e)
    names = {r.id: r.name for r in session.exec(select(Rep)).all()}
    overall = SlaStats()
    per: dict[str, SlaStats] = defaultdict(SlaStats)
    for h in handoffs.values():
        window = window_of(h.priority)
        still_pending = h.status == "pending"
        trail = events[h.id]
        first = next((e for e in trail if e.event in ANSWERS), None)
        due = calendar.add(h.created_at, window)
        overall.clock(calendar, h.created_at, due, first, still_pending and now < due)
        turns = _turns(trail)
        for i, turn in enumerate(turns):
            stats = per[names.get(turn.rep_id, str(turn.rep_id))]
            due = calendar.add(turn.started, window)
            last = i == len(turns) - 1
            open_ = last and still_pending and now < due
            stats.clock(calendar, turn.started, due, turn.answered, open_)
            stats.escalations += turn.escalations
            stats.breaches += turn.breaches
            stats.reassignments += int(not last)
        for e in trail:
            overall.escalations += int(e.event == "escalation")
            overall.breaches += int(e.event == "breach")
            overall.reassignments += int(e.event == "reassigned")
    reasons: Counter[str] = Counter(
        h.outcome_reason for h in handoffs.values() if h.status == "rejected" and h.outcome_reason
    )
    return overall, dict(per), reasons


def _turns(trail: list[SlaEvent]) -> list[_Turn]:
    """Split a handoff's events (in time order) into its reps' turns."""
    turns: list[_Turn] = []
    for e in trail:
        if e.event in CLOCK_STARTS and e.rep_id is not None:
            turns.append(_Turn(rep_id=e.rep_id, started=e.at))
        elif not turns:
            continue  # nothing before the first clock start can count for a rep
        elif e.event in ANSWERS and turns[-1].answered is None:
            turns[-1].answered = e
        elif e.event == "escalation":
            turns[-1].escalations += 1
        elif e.event == "breach":
            turns[-1].breaches += 1
    return turns


@dataclass(frozen=True)
class RuleReview:
    rule: str
    leads_with: int
    leads_without: int
    opportunity_rate_with: float | None
    opportunity_rate_without: float | None
    win_rate_with: float | None
    win_rate_without: float | None

    @property
    def win_lift(self) -> float | None:
        if self.win_rate_with is None or not self.win_rate_without:
            return None
        return round(self.win_rate_with / self.win_rate_without, 2)


def scoring_review(
    session: Session,
    rules: list[str],
    start: datetime | None = None,
    end: datetime | None = None,
    campaign: str | None = None,
) -> list[RuleReview]:
    """Per scoring rule: opportunity and win rates of leads that triggered it vs the rest.

    Only leads sales has decided on are compared, so nurturing leads that simply have not
    qualified yet do not dilute the rates: leads handed off in [start, end) (any of their
    handoffs), whose source is `campaign` when given.
    """
    handed_query = select(StageChange.lead_id).where(StageChange.to_stage == "sales_pending")
    if start is not None:
        handed_query = handed_query.where(col(StageChange.at) >= start)
    if end is not None:
        handed_query = handed_query.where(col(StageChange.at) < end)
    if campaign is not None:
        handed_query = handed_query.where(
            col(StageChange.lead_id).in_(select(Lead.id).where(Lead.source == campaign))
        )
    handed = handed_query.distinct()
    reached: dict[str, set[uuid.UUID]] = defaultdict(set)
    for lead_id, stage in session.exec(
        select(StageChange.lead_id, StageChange.to_stage).where(
            col(StageChange.to_stage).in_(["opportunity", "won"]),
            col(StageChange.lead_id).in_(handed),
        )
    ).all():
        reached[stage].add(lead_id)
    reached["opportunity"] |= reached["won"]
    leads = session.exec(
        select(Lead.id, Lead.score_breakdown).where(col(Lead.id).in_(handed))
    ).all()
    # Behaviour points are reset when a lead is recycled: what it did is in its events.
    did: dict[str, set[uuid.UUID]] = defaultdict(set)
    for lead_id, kind in session.exec(
        select(LeadEvent.lead_id, LeadEvent.type)
        .where(col(LeadEvent.lead_id).in_(handed), col(LeadEvent.points) != 0)
        .distinct()
    ).all():
        did[kind].add(lead_id)
    out = []
    for rule in rules:
        with_rule = {i for i, b in leads if (b or {}).get(rule)} | did[rule]
        without = {i for i, _ in leads} - with_rule
        out.append(
            RuleReview(
                rule=rule,
                leads_with=len(with_rule),
                leads_without=len(without),
                opportunity_rate_with=_rate(with_rule, reached["opportunity"]),
                opportunity_rate_without=_rate(without, reached["opportunity"]),
                win_rate_with=_rate(with_rule, reached["won"]),
                win_rate_without=_rate(without, reached["won"]),
            )
        )
    return out


def _rate(group: set[uuid.UUID], hits: set[uuid.UUID]) -> float | None:
    return round(len(group & hits) / len(group), 4) if group else None
