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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nurture.models import BehaviourEvent, LeadProfile
from nurture.rules.score_state import ScoreState
from nurture.rules.scoring import ScoringModel
from nurture.rules.scoring_kpi import share

DAY_SECONDS = 86_400.0
# The workflow writes the mql stage after the crossing batch is scored and recorded: a
# moment later, more on a busy worker, never an hour.
SAME_MOMENT = timedelta(hours=1)


class ModelFailed(Exception):
    """A model's own code raised on a lead: which model and lead, and what it raised."""

    def __init__(self, which: str, lead_id: uuid.UUID, err: Exception) -> None:
        super().__init__(f"the {which} failed on lead {lead_id}: {type(err).__name__}: {err}")
        self.lead_id = lead_id


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

    `profiles`: (since, profile), the first since the lead entered. `stops`: spells when
    it could not qualify (unsubscribed, bounced, disqualified or halted; an open end: it
    still cannot). `recorded_mql_at`: its first MQL as it
    really happened; `by_account`: that MQL was its account's buying group's (an account
    handoff), which no lead's scoring model decides. `opportunity` and `won`: how far
    sales took it (a win is an opportunity too).
    """

    lead_id: uuid.UUID
    entered_at: datetime
    profiles: tuple[tuple[datetime, LeadProfile], ...]
    batches: tuple[Batch, ...] = ()
    stops: tuple[tuple[datetime, datetime | None], ...] = ()
    recorded_mql_at: datetime | None = None
    by_account: bool = False
    opportunity: bool = False
    won: bool = False


@dataclass(frozen=True)
class Decision:
    """A model's first MQL of a lead (None: never, or only once sales had it), and whether
    the points it gave the lead's events up to then are the ones recorded (None: nothing
    recorded to compare). `after_sales`: the model would qualify the lead only after it
    really was with sales, on behaviour sales may have caused (a meeting the rep booked):
    no credit for that, so it is no MQL, counted apart."""

    mql_at: datetime | None
    as_recorded: bool | None = None
    after_sales: datetime | None = None


def decide(model: ScoringModel, past: LeadPast, until: datetime | None = None) -> Decision:
    """When `model` would first have made the lead an MQL, looking at its past before
    `until` (None: all of it). A crossing while the lead could not qualify (stopped) starts
    nothing, as in the workflow: the lead must fall below the threshold and cross again."""
    state = ScoreState()
    steps: list[tuple[datetime, int, LeadProfile | Batch]] = [
        (at, 0, profile) for at, profile in past.profiles
    ]
    steps += [(b.at, 1, b) for b in past.batches]  # a profile first at the same moment
    steps.sort(key=lambda s: (s[0], s[1]))
    checked: bool | None = None
    sales_from = past.recorded_mql_at

    def outcome(at: datetime) -> Decision | None:
        """The decision when the lead crosses at `at`; None: it could not qualify then."""
        if any(start <= at and (end is None or at < end) for start, end in past.stops):
            return None
        if sales_from is not None and at > sales_from:
            return Decision(None, checked, after_sales=at)
        return Decision(at, checked)

    for at, _, step in steps:
        if until is not None and at >= until:
            break
        for crossed_at in _decay(model, state, at):
            if (found := outcome(crossed_at)) is not None:
                return found
        if isinstance(step, Batch):
            compare = sales_from is None or at <= sales_from
            for n, event in enumerate(step.events):
                scored = model.apply_event(state, event, at)
                if compare and n < len(step.recorded):
                    same = step.recorded[n] == (scored.points, model.score(state))
                    checked = same if checked is None else checked and same
        else:
            model.apply_profile(state, step, "backtest")
        if model.crossed(state) and (found := outcome(at)) is not None:
            return found
    if until is not None:
        for crossed_at in _decay(model, state, until):
            if (found := outcome(crossed_at)) is not None:
                return found
    return Decision(None, checked)


def _decay(model: ScoringModel, state: ScoreState, before: datetime) -> Iterator[datetime]:
    """Decay every spell of quiet that ends before `before`, yielding the moments a decay
    makes the lead cross (negative points decay toward zero too)."""
    while (due := model.decay_due(state)) is not None and due < before:
        model.apply_decay(state, due)
        if model.crossed(state):
            yield due


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
    after_sales: int = 0  # leads it would qualify only after sales really had them


@dataclass(frozen=True)
class Backtest:
    """The record, the live model and the candidate side by side, and what changed."""

    recorded: Figures
    live: Figures
    candidate: Figures
    newly_mql: tuple[uuid.UUID, ...]  # MQL under the candidate, not under the live model
    no_longer_mql: tuple[uuid.UUID, ...]  # MQL under the live model, not the candidate
    live_as_recorded: int  # leads whose recorded points the live model gives back
    live_compared: int = 0  # leads with recorded points to compare (the rest did nothing)
    live_not_as_recorded: tuple[uuid.UUID, ...] = field(default=())
    # MQL in one and not the other, or at another moment (see SAME_MOMENT)
    live_unlike_record: tuple[uuid.UUID, ...] = field(default=())
    # recorded MQLs of an account's buying group (an account handoff): real MQLs, in the
    # recorded figures, but no lead's model decides them, so the self-check leaves them out
    account_mqls: int = 0
    # what really happened by the leads' own scores (the account MQLs left out): what the
    # live model must give back
    recorded_by_score: Figures | None = None


def figures(
    pasts: Sequence[LeadPast], mql_at: Sequence[datetime | None], after_sales: int = 0
) -> Figures:
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
        after_sales=after_sales,
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
        for which, model, out in (
            ("live model", live, live_decisions),
            ("candidate", candidate, candidate_decisions),
        ):
            try:
                out.append(decide(model, past, until))
            except Exception as err:  # the model's own code: say which lead broke it
                raise ModelFailed(which, past.lead_id, err) from err
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
        live=figures(pasts, live_at, sum(d.after_sales is not None for d in live_decisions)),
        candidate=figures(
            pasts, candidate_at, sum(d.after_sales is not None for d in candidate_decisions)
        ),
        newly_mql=tuple(
            i for i, a, b in zip(ids, live_at, candidate_at, strict=True) if a is None and b
        ),
        no_longer_mql=tuple(
            i for i, a, b in zip(ids, live_at, candidate_at, strict=True) if a and b is None
        ),
        live_as_recorded=sum(d.as_recorded is True for d in live_decisions),
        live_compared=sum(d.as_recorded is not None for d in live_decisions),
        live_not_as_recorded=tuple(
            i for i, d in zip(ids, live_decisions, strict=True) if d.as_recorded is False
        ),
        live_unlike_record=tuple(
            p.lead_id
            for p, a, r in zip(pasts, live_at, recorded, strict=True)
            if not same_moment(a, r) and not (p.by_account and a is None)
        ),
        recorded_by_score=figures(
            pasts, [None if p.by_account else r for p, r in zip(pasts, recorded, strict=True)]
        ),
        account_mqls=sum(
            p.by_account and r is not None for p, r in zip(pasts, recorded, strict=True)
        ),
    )


def same_moment(live: datetime | None, recorded: datetime | None) -> bool:
    """The live model's MQL is the recorded one: both none, or the crossing it finds comes
    at most SAME_MOMENT before the workflow wrote the mql stage (never after it)."""
    if live is None or recorded is None:
        return live is None and recorded is None
    return live <= recorded and recorded - live <= SAME_MOMENT


def _median(values: Iterable[float]) -> float | None:
    got = list(values)
    return round(statistics.median(got), 2) if got else None
