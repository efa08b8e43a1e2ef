"""A scoring model replayed over recorded leads, without any workflow: the backtest.

Each lead's recorded profiles and behaviour batches are applied in time order, with decay
at the moment it falls due, as the lead workflow applies them (workflows/lead_scoring.py):
one scoring step per batch, a crossing checked after each step. So the live model,
backtested, gives back the points history recorded, and a candidate model shows what it
would have decided on the same past.

A lead's decision is its first MQL. What came after it depended on sales (a recycled lead
loses its behaviour points), which no other model can replay; a lead that unsubscribed,
bounced or was disqualified cannot become an MQL from then on, whatever the model.
"""

from __future__ import annotations

import dataclasses
import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from nurture.models import BehaviourEvent, LeadProfile
from nurture.rules.score_state import ScoreState
from nurture.rules.scoring import ScoringModel

DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class Batch:
    """Events the lead workflow scored in one step, at `at`; `recorded`: each event's
    (points, score after) as the read model has them, to check the live model against."""

    at: datetime
    events: tuple[BehaviourEvent, ...]
    recorded: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class LeadPast:
    """One lead as recorded: who it was when, what it did, and what became of it.

    `profiles`: (since, profile), the first since the lead entered. `stopped_at`: it
    unsubscribed, bounced or was disqualified. `recorded_mql_at`: its first MQL as it
    really happened. `opportunity` and `won`: how far sales took it (a win is an
    opportunity too).
    """

    lead_id: uuid.UUID
    entered_at: datetime
    profiles: tuple[tuple[datetime, LeadProfile], ...]
    batches: tuple[Batch, ...] = ()
    stopped_at: datetime | None = None
    recorded_mql_at: datetime | None = None
    opportunity: bool = False
    won: bool = False


@dataclass(frozen=True)
class Decision:
    """A model's first MQL of a lead (None: never), and whether the points it gave the
    lead's events up to then are the ones recorded (None: nothing recorded to compare)."""

    mql_at: datetime | None
    as_recorded: bool | None = None


def decide(model: ScoringModel, past: LeadPast, until: datetime | None = None) -> Decision:
    """When `model` would first have made the lead an MQL, looking at its past before
    `until` (None: all of it)."""
    state = ScoreState()
    steps: list[tuple[datetime, int, LeadProfile | Batch]] = [
        (at, 0, profile) for at, profile in past.profiles
    ]
    steps += [(b.at, 1, b) for b in past.batches]  # a profile first at the same moment
    steps.sort(key=lambda s: (s[0], s[1]))
    checked: bool | None = None
    compare_until = past.recorded_mql_at

    def may_qualify(at: datetime) -> bool:
        return past.stopped_at is None or at < past.stopped_at

    for at, _, step in steps:
        if until is not None and at >= until:
            break
        if (decayed := _decay(model, state, at)) is not None:
            return Decision(decayed if may_qualify(decayed) else None, checked)
        if isinstance(step, Batch):
            compare = compare_until is None or at <= compare_until
            for n, event in enumerate(step.events):
                scored = model.apply_event(state, event, at)
                if compare and n < len(step.recorded):
                    same = step.recorded[n] == (scored.points, model.score(state))
                    checked = same if checked is None else checked and same
        else:
            model.apply_profile(state, step, "backtest")
        if model.crossed(state):
            return Decision(at if may_qualify(at) else None, checked)
    if until is not None and (decayed := _decay(model, state, until)) is not None:
        return Decision(decayed if may_qualify(decayed) else None, checked)
    return Decision(None, checked)


def _decay(model: ScoringModel, state: ScoreState, before: datetime) -> datetime | None:
    """Decay every spell of quiet that ends before `before`; when one of them makes the lead
    an MQL (negative points decay toward zero too), the moment it did."""
    while (due := model.decay_due(state)) is not None and due < before:
        model.apply_decay(state, due)
        if model.crossed(state):
            return due
    return None


@dataclass(frozen=True)
class Figures:
    """What a model (or the record) decided over a set of leads."""

    leads: int
    mqls: int
    mql_rate: float | None
    median_days_to_mql: float | None
    opportunities: int  # MQLs that became an opportunity (a win counts)
    wins: int  # MQLs that became won deals
    precision_opportunity: float | None
    precision_won: float | None
    recall_won: float | None  # won deals the model made MQLs
    recall_opportunity: float | None
    median_days_earlier: float | None  # won deals: how much sooner than really (negative: later)
    won_leads: int = 0  # won deals among all the leads, MQL or not
    opportunity_leads: int = 0


@dataclass(frozen=True)
class Backtest:
    """The record, the live model and the candidate side by side, and what changed."""

    recorded: Figures
    live: Figures
    candidate: Figures
    newly_mql: tuple[uuid.UUID, ...]  # MQL under the candidate, not under the live model
    no_longer_mql: tuple[uuid.UUID, ...]  # MQL under the live model, not the candidate
    live_as_recorded: int  # leads whose recorded points the live model gives back
    live_not_as_recorded: tuple[uuid.UUID, ...] = field(default=())
    live_unlike_record: tuple[uuid.UUID, ...] = field(default=())  # MQL in one, not the other


def figures(pasts: Sequence[LeadPast], mql_at: Sequence[datetime | None]) -> Figures:
    """The figures of one model's decisions (`mql_at`, one per lead of `pasts`)."""
    mqls = [(p, at) for p, at in zip(pasts, mql_at, strict=True) if at is not None]
    won = [p for p in pasts if p.won]
    opportunity = [p for p in pasts if p.opportunity or p.won]
    mql_won = [(p, at) for p, at in mqls if p.won]
    mql_opportunity = [p for p, _ in mqls if p.opportunity or p.won]
    earlier = [
        (p.recorded_mql_at - at).total_seconds() / DAY_SECONDS
        for p, at in mql_won
        if p.recorded_mql_at is not None
    ]
    return Figures(
        leads=len(pasts),
        mqls=len(mqls),
        mql_rate=share(len(mqls), len(pasts)),
        median_days_to_mql=_median(
            (at - p.entered_at).total_seconds() / DAY_SECONDS for p, at in mqls
        ),
        opportunities=len(mql_opportunity),
        wins=len(mql_won),
        precision_opportunity=share(len(mql_opportunity), len(mqls)),
        precision_won=share(len(mql_won), len(mqls)),
        recall_won=share(len(mql_won), len(won)),
        recall_opportunity=share(len(mql_opportunity), len(opportunity)),
        median_days_earlier=_median(earlier),
        won_leads=len(won),
        opportunity_leads=len(opportunity),
    )


def backtest(
    pasts: Iterable[LeadPast],
    live: ScoringModel,
    candidate: ScoringModel,
    until: datetime | None = None,
) -> Backtest:
    """Both models over the same leads, beside what really happened. `pasts` is read once,
    and only each lead's outcome is kept, so a large past streams through in chunks."""
    kept: list[LeadPast] = []
    live_decisions: list[Decision] = []
    candidate_decisions: list[Decision] = []
    for past in pasts:
        live_decisions.append(decide(live, past, until))
        candidate_decisions.append(decide(candidate, past, until))
        kept.append(dataclasses.replace(past, profiles=(), batches=()))
    pasts = kept
    recorded = [
        p.recorded_mql_at
        if p.recorded_mql_at is not None and (until is None or p.recorded_mql_at < until)
        else None
        for p in pasts
    ]
    ids = [p.lead_id for p in pasts]
    live_at = [d.mql_at for d in live_decisions]
    candidate_at = [d.mql_at for d in candidate_decisions]
    return Backtest(
        recorded=figures(pasts, recorded),
        live=figures(pasts, live_at),
        candidate=figures(pasts, candidate_at),
        newly_mql=tuple(
            i for i, a, b in zip(ids, live_at, candidate_at, strict=True) if a is None and b
        ),
        no_longer_mql=tuple(
            i for i, a, b in zip(ids, live_at, candidate_at, strict=True) if a and b is None
        ),
        live_as_recorded=sum(d.as_recorded is not False for d in live_decisions),
        live_not_as_recorded=tuple(
            i for i, d in zip(ids, live_decisions, strict=True) if d.as_recorded is False
        ),
        live_unlike_record=tuple(
            i for i, a, r in zip(ids, live_at, recorded, strict=True) if (a is None) != (r is None)
        ),
    )


def share(part: int, whole: int) -> float | None:
    """`part` of `whole`, 4 places; None for nothing to share."""
    return round(part / whole, 4) if whole else None


def _median(values: Iterable[float]) -> float | None:
    got = list(values)
    return round(statistics.median(got), 2) if got else None
