"""The SLA and scoring-review arithmetic on its own: rows in, figures out, no database."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nurture.models import HandoffStatus, SlaEventKind
from nurture.rules.scoring_kpi import ScoringHistory, lift, rate, scoring_review
from nurture.rules.sla_kpi import SlaHistory, percentile, ranked, sla_kpi
from nurture.tables import Handoff, SlaEvent
from scenarios.sla import SLA

JST = ZoneInfo("Asia/Tokyo")
FRI_5PM = datetime(2026, 11, 27, 17, 0, tzinfo=JST)  # one business hour before the weekend
MON_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=JST)
ANN, BEN = uuid.uuid4(), uuid.uuid4()
NAMES = {ANN: "Ann", BEN: "Ben"}


def _two_hours(_: str) -> timedelta:
    return timedelta(hours=2)


def _history(
    *handoffs: tuple[Handoff, list[tuple[SlaEventKind, uuid.UUID, datetime]]],
) -> SlaHistory:
    events = {
        h.id: [
            SlaEvent(handoff_id=h.id, lead_id=h.lead_id, rep_id=rep, at=at, event=kind.value)
            for kind, rep, at in trail
        ]
        for h, trail in handoffs
    }
    return SlaHistory(handoffs=[h for h, _ in handoffs], events=events, rep_names=NAMES)


def _handoff(n: int, status: HandoffStatus, reason: str | None = None) -> Handoff:
    return Handoff(
        id=f"h{n}",
        lead_id=uuid.uuid4(),
        created_at=FRI_5PM,
        priority="normal",
        status=status.value,
        outcome_reason=reason,
    )


A = SlaEventKind


def test_the_clock_runs_on_business_hours_over_the_weekend() -> None:
    """Due two business hours after Friday 17:00: Monday 10:00, not Friday 19:00."""
    acked = _handoff(1, HandoffStatus.ACCEPTED)
    trail = [(A.ASSIGNED, ANN, FRI_5PM), (A.ACK, ANN, MON_9AM + timedelta(minutes=30))]
    kpi = sla_kpi(_history((acked, trail)), SLA.calendar, _two_hours, MON_9AM + timedelta(days=1))
    assert (kpi.overall.within_sla, kpi.overall.missed_sla) == (1, 0)
    assert kpi.overall.median_ack_business_hours == 1.5  # Fri 17-18 and Mon 9-9:30


def test_a_reject_in_time_is_an_answer_and_an_open_clock_is_not_judged() -> None:
    rejected = _handoff(1, HandoffStatus.REJECTED, reason="no_budget")
    waiting = _handoff(2, HandoffStatus.PENDING)
    kpi = sla_kpi(
        _history(
            (rejected, [(A.ASSIGNED, ANN, FRI_5PM), (A.REJECT, ANN, MON_9AM)]),
            (waiting, [(A.ASSIGNED, BEN, FRI_5PM)]),
        ),
        SLA.calendar,
        _two_hours,
        now=MON_9AM,  # the waiting one is due at 10:00: still open
    )
    overall = kpi.overall
    assert (overall.handoffs, overall.within_sla, overall.open_within_sla) == (2, 1, 1)
    assert (overall.rejected_without_ack, overall.acknowledged, overall.missed_sla) == (1, 0, 0)
    assert overall.within_sla_rate == 1.0  # the open clock is not a failure yet
    assert kpi.reject_reasons == {"no_budget": 1}
    assert kpi.by_rep["Ben"].open_within_sla == 1 and kpi.by_rep["Ben"].within_sla_rate is None


def test_each_assignment_runs_its_own_clock() -> None:
    """Ann misses and is escalated; Ben gets the lead and answers in time on his clock."""
    moved = _handoff(1, HandoffStatus.ACCEPTED)
    reassigned_at = MON_9AM + timedelta(hours=3)
    trail = [
        (A.ASSIGNED, ANN, FRI_5PM),
        (A.REMINDER, ANN, MON_9AM + timedelta(hours=1)),
        (A.ESCALATION, ANN, MON_9AM + timedelta(hours=2)),
        (A.REASSIGNED, BEN, reassigned_at),
        (A.ACK, BEN, reassigned_at + timedelta(hours=1)),
    ]
    kpi = sla_kpi(_history((moved, trail)), SLA.calendar, _two_hours, reassigned_at)
    assert (kpi.overall.within_sla, kpi.overall.missed_sla) == (0, 1)  # the first deadline
    assert (kpi.overall.escalations, kpi.overall.reassignments) == (1, 1)
    ann, ben = kpi.by_rep["Ann"], kpi.by_rep["Ben"]
    assert (ann.missed_sla, ann.escalations, ann.reassignments) == (1, 1, 1)
    assert (ben.within_sla, ben.reassignments, ben.median_ack_business_hours) == (1, 0, 1.0)
    assert list(kpi.by_rep) == ["Ann", "Ben"]


def test_a_breach_counts_for_the_rep_holding_the_lead() -> None:
    withdrawn = _handoff(1, HandoffStatus.WITHDRAWN)
    trail = [(A.ASSIGNED, ANN, FRI_5PM), (A.BREACH, ANN, MON_9AM + timedelta(hours=4))]
    kpi = sla_kpi(_history((withdrawn, trail)), SLA.calendar, _two_hours, MON_9AM)
    assert (kpi.overall.breaches, kpi.by_rep["Ann"].breaches) == (1, 1)
    assert kpi.overall.median_ack_business_hours is None  # never answered


def test_percentiles_ranks_and_rates() -> None:
    assert percentile([], 0.5) is None and percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 2.0, 3.0, 5.0, 12.0], 0.9) == 9.2
    assert ranked(Counter({"b": 2, "a": 2, "c": 3})) == {"c": 3, "a": 2, "b": 2}
    one, two = uuid.uuid4(), uuid.uuid4()
    assert rate({one, two}, {one}) == 0.5 and rate(set(), {one}) is None
    assert lift(0.5, 0.25) == 2.0 and lift(0.5, 0.0) is None and lift(None, 0.5) is None


def test_scoring_review_counts_what_a_recycled_lead_did() -> None:
    """A rule counts for a lead whose breakdown was reset, through its scored events."""
    won, recycled, lost = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    history = ScoringHistory(
        breakdowns={won: {"pricing_page_view": 15}, recycled: {}, lost: None},
        triggered={"pricing_page_view": {recycled}},
        opportunities={recycled},
        wins={won},
    )
    (pricing,) = scoring_review(history, ["pricing_page_view"], lambda rule: rule.upper())
    assert pricing.label == "PRICING_PAGE_VIEW"
    assert (pricing.leads_with, pricing.leads_without) == (2, 1)
    assert (pricing.opportunity_rate_with, pricing.win_rate_with) == (1.0, 0.5)
    assert (pricing.win_rate_without, pricing.win_lift) == (0.0, None)
