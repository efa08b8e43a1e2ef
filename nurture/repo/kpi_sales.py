"""SLA compliance and the scoring review: what sales did with marketing's leads.

Computed in Python over the rows of the period (handoffs are few next to events), so the
business-hour arithmetic is the same calendar the SLA clock uses.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from nurture.tables import Handoff, Lead, LeadEvent, Rep, RepAssignment, SlaEvent, StageChange
from workflows.business_time import BusinessCalendar


@dataclass
class SlaStats:
    handoffs: int = 0
    acknowledged: int = 0
    within_sla: int = 0
    escalations: int = 0
    reassignments: int = 0
    breaches: int = 0
    ack_hours: list[float] = field(default_factory=list)

    @property
    def within_sla_rate(self) -> float | None:
        return round(self.within_sla / self.handoffs, 4) if self.handoffs else None

    def ack_percentile(self, q: float) -> float | None:
        if not self.ack_hours:
            return None
        ordered = sorted(self.ack_hours)
        if len(ordered) == 1:
            return round(ordered[0], 2)
        return round(statistics.quantiles(ordered, n=100, method="inclusive")[int(q * 100) - 1], 2)


def sla(
    session: Session,
    calendar: BusinessCalendar,
    window_of: Callable[[str], timedelta],
    start: datetime | None,
    end: datetime | None,
) -> tuple[SlaStats, dict[str, SlaStats], Counter[str]]:
    """Overall (per handoff) and per-rep (per assignment) SLA figures for handoffs created
    in the range, and the reasons sales gave for rejects.

    Each assignment runs its own clock: `window_of(priority)` business time from the moment
    the rep got the lead, the same arithmetic as the handoff workflow.
    """
    query = select(Handoff)
    if start is not None:
        query = query.where(col(Handoff.created_at) >= start)
    if end is not None:
        query = query.where(col(Handoff.created_at) < end)
    handoffs = {h.id: h for h in session.exec(query).all()}
    events = session.exec(select(SlaEvent).where(col(SlaEvent.handoff_id).in_(list(handoffs))))
    acks: dict[tuple[str, uuid.UUID | None], datetime] = {}
    counted: Counter[tuple[str, uuid.UUID | None, str]] = Counter()
    for e in events.all():
        counted[(e.handoff_id, e.rep_id, e.event)] += 1
        if e.event == "ack":
            acks[(e.handoff_id, e.rep_id)] = e.at
    names = {r.id: r.name for r in session.exec(select(Rep)).all()}
    overall = SlaStats(handoffs=len(handoffs))
    per: dict[str, SlaStats] = defaultdict(SlaStats)
    assignments = session.exec(
        select(RepAssignment).where(col(RepAssignment.handoff_id).in_(list(handoffs)))
    )
    for a in assignments.all():
        h = handoffs[a.handoff_id]
        stats = per[names.get(a.rep_id, str(a.rep_id))]
        stats.handoffs += 1
        stats.escalations += counted[(h.id, a.rep_id, "escalation")]
        stats.breaches += counted[(h.id, a.rep_id, "breach")]
        acked = acks.get((h.id, a.rep_id))
        if acked is None:
            continue
        hours = calendar.between(a.at, acked) / timedelta(hours=1)
        in_time = acked <= calendar.add(a.at, window_of(h.priority))
        for s in (stats, overall):
            s.acknowledged += 1
            s.ack_hours.append(hours)
            s.within_sla += int(in_time)
    overall.escalations = sum(n for (_, _, ev), n in counted.items() if ev == "escalation")
    overall.breaches = sum(n for (_, _, ev), n in counted.items() if ev == "breach")
    overall.reassignments = sum(n for (_, _, ev), n in counted.items() if ev == "reassigned")
    reasons: Counter[str] = Counter(
        h.outcome_reason for h in handoffs.values() if h.status == "rejected" and h.outcome_reason
    )
    return overall, dict(per), reasons


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


def scoring_review(session: Session, rules: list[str]) -> list[RuleReview]:
    """Per scoring rule: opportunity and win rates of leads that triggered it vs the rest.

    Only leads sales has decided on (handed off at least once) are compared, so nurturing
    leads that simply have not qualified yet do not dilute the rates.
    """
    handed: set[uuid.UUID] = set(
        session.exec(
            select(StageChange.lead_id).where(StageChange.to_stage == "sales_pending")
        ).all()
    )
    reached: dict[str, set[uuid.UUID]] = defaultdict(set)
    for lead_id, stage in session.exec(
        select(StageChange.lead_id, StageChange.to_stage).where(
            col(StageChange.to_stage).in_(["opportunity", "won"])
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
