"""The backtest's arithmetic on hand-built pasts with known answers, and the per-rule
proposals with their confidence intervals."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from nurture.authoring import AttributeRule, BehaviourRule, Decay, ScoringModel
from nurture.models import BehaviourEvent, LeadProfile
from nurture.rules.backtest import Batch, Decision, LeadPast, backtest, decide, figures
from nurture.rules.scoring_kpi import ScoringHistory
from nurture.rules.scoring_suggest import lift, proposals

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
DIRECTOR = LeadProfile(job_title="Director of IT", email_kind="business")
ENGINEER = LeadProfile(job_title="Engineer", email_kind="business")


MONTHLY = Decay(timedelta(days=30))


def model(threshold: int = 40, decay: Decay | None = MONTHLY) -> ScoringModel:
    return ScoringModel(
        mql_threshold=threshold,
        decay=decay,
        attribute_rules=(AttributeRule("decision_maker", "DM", 20, "job_title", ("director",)),),
        behaviour_rules=(
            BehaviourRule("pricing_page_view", "Pricing", 15, cap=30),
            BehaviourRule("webinar_attended", "Webinar", 20),
        ),
    )


def ev(kind: str, n: int = 0) -> BehaviourEvent:
    return BehaviourEvent(event_id=f"{kind}-{n}", type=kind, occurred_at=T0)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def past(
    *batches: tuple[float, tuple[BehaviourEvent, ...]],
    profiles: tuple[tuple[float, LeadProfile], ...] = ((0, DIRECTOR),),
    **kwargs: object,
) -> LeadPast:
    return LeadPast(
        lead_id=uuid.uuid4(),
        entered_at=T0,
        profiles=tuple((day(d), p) for d, p in profiles),
        batches=tuple(Batch(at=day(d), events=e) for d, e in batches),
        **kwargs,  # type: ignore[arg-type]
    )


def test_the_first_mql_is_the_batch_that_crosses_and_a_lower_threshold_crosses_sooner() -> None:
    lead = past((1, (ev("pricing_page_view"),)), (3, (ev("webinar_attended"),)))
    assert decide(model(40), lead).mql_at == day(3)  # 20, 35, 55
    assert decide(model(30), lead).mql_at == day(1)
    assert decide(model(60), lead).mql_at is None
    assert decide(model(40), lead, until=day(3)).mql_at is None  # before day 3 it had not


def test_decay_applies_at_the_moment_it_falls_due() -> None:
    lead = past(
        (0, (ev("pricing_page_view", 1), ev("pricing_page_view", 2))),
        (40, (ev("webinar_attended"),)),
    )
    # 20 + 30 = 50 on day 0, halved to 20 + 15 after 30 quiet days, + 20 on day 40 = 55
    assert decide(model(52), lead).mql_at == day(40)  # day 0 at 50 does not cross 52
    with_decay = model(56)
    assert decide(with_decay, lead).mql_at is None  # 55 < 56
    assert decide(model(56, decay=None), lead).mql_at == day(40)  # 50 + 20 = 70


def test_a_profile_change_scores_from_the_moment_it_was_made() -> None:
    lead = past(
        (1, (ev("pricing_page_view", 1), ev("pricing_page_view", 2))),
        profiles=((0, ENGINEER), (5, DIRECTOR)),
    )
    assert decide(model(40), lead).mql_at == day(5)  # 30 from day 1, 50 when promoted


def test_a_lead_that_stopped_cannot_become_an_mql_until_it_is_resumed() -> None:
    crosses_on_day_3 = ((1, (ev("pricing_page_view"),)), (3, (ev("webinar_attended"),)))
    stopped = past(*crosses_on_day_3, stops=((day(2), None),))
    assert decide(model(40), stopped).mql_at is None
    assert decide(model(30), stopped).mql_at == day(1)  # before it stopped
    resumed = past(*crosses_on_day_3, stops=((day(2), day(2.5)),))
    assert decide(model(40), resumed).mql_at == day(3)
    # crossing while stopped starts nothing; the lead must fall below and cross again
    while_stopped = past(
        (1, (ev("webinar_attended", 1),)),  # 40 while stopped; halved to 30 on day 31
        (40, (ev("webinar_attended", 2),)),  # 30 + 20 = 50: crosses again, resumed
        stops=((day(0.5), day(5)),),
    )
    assert decide(model(40), while_stopped).mql_at == day(40)


def test_no_credit_for_qualifying_on_what_came_after_sales_had_the_lead() -> None:
    # really an MQL on day 1; on day 5 the rep books a meeting (+40 under a model that has it)
    meeting = BehaviourRule("meeting_booked", "Meeting", 40)
    strict = dataclasses.replace(model(95), behaviour_rules=(*model().behaviour_rules, meeting))
    lead = past(
        (1, (ev("webinar_attended"),)),
        (5, (ev("meeting_booked"),)),
        recorded_mql_at=day(1) + timedelta(seconds=1),
        won=True,
    )
    got = decide(strict, lead)  # 20 + 20 + 40 = 80 < 95: never; 95 only with more
    assert got.mql_at is None and got.after_sales is None
    lenient = dataclasses.replace(strict, mql_threshold=70)  # 80 on day 5, after sales had it
    assert decide(lenient, lead) == Decision(None, None, after_sales=day(5))
    result = backtest([lead], live=model(40), candidate=lenient)
    assert (result.candidate.mqls, result.candidate.recall_won, result.candidate.after_sales) == (
        0,
        0.0,
        1,
    )


def test_the_live_check_says_when_recorded_points_differ() -> None:
    events = (ev("pricing_page_view"),)
    same = LeadPast(uuid.uuid4(), T0, ((T0, DIRECTOR),), (Batch(day(1), events, ((15, 35),)),))
    other = LeadPast(uuid.uuid4(), T0, ((T0, DIRECTOR),), (Batch(day(1), events, ((10, 30),)),))
    assert decide(model(), same).as_recorded is True
    assert decide(model(), other).as_recorded is False
    assert decide(model(), past()).as_recorded is None  # nothing recorded to compare


def test_the_live_model_must_find_the_mql_where_it_really_was() -> None:
    lead = past((1, (ev("pricing_page_view"),)), (3, (ev("webinar_attended"),)))
    really = dataclasses.replace(lead, recorded_mql_at=day(3) + timedelta(seconds=2))
    assert backtest([really], model(40), model(40)).live_unlike_record == ()
    days_later = dataclasses.replace(lead, recorded_mql_at=day(40))  # qualified otherwise
    assert backtest([days_later], model(40), model(40)).live_unlike_record == (lead.lead_id,)
    never = dataclasses.replace(lead, recorded_mql_at=None)
    assert backtest([never], model(40), model(40)).live_unlike_record == (lead.lead_id,)
    result = backtest([really, past()], model(40), model(40))
    assert (result.live_compared, result.live_as_recorded) == (0, 0)  # nothing recorded


def test_an_account_handoff_is_real_but_no_lead_model_is_held_to_it() -> None:
    quiet = past((1, (ev("webinar_attended"),)))  # 40 points: under a threshold of 60
    carried = dataclasses.replace(quiet, recorded_mql_at=day(1), by_account=True, won=True)
    result = backtest([carried], model(60), model(60))
    assert result.live_unlike_record == () and result.account_mqls == 1
    assert (result.recorded.mqls, result.live.mqls, result.candidate.mqls) == (1, 0, 0)
    assert (result.recorded.recall_won, result.live.recall_won) == (1.0, 0.0)  # shares
    alone = dataclasses.replace(carried, by_account=False)  # else it is a miss
    assert backtest([alone], model(60), model(60)).live_unlike_record == (quiet.lead_id,)


def test_figures_count_precision_recall_and_days() -> None:
    won_early = past((2, (ev("webinar_attended"),)), won=True, recorded_mql_at=day(4))
    won_never = past(won=True)
    opportunity = past((1, (ev("webinar_attended"),)), opportunity=True)
    nothing = past((6, (ev("webinar_attended"),)))
    leads = [won_early, won_never, opportunity, nothing]
    got = figures(leads, [decide(model(40), p).mql_at for p in leads])
    assert (got.leads, got.mqls, got.mql_rate) == (4, 3, 0.75)
    assert got.median_days_to_mql == 2.0  # 1, 2 and 6 days
    assert (got.precision_opportunity, got.precision_won) == (round(2 / 3, 4), round(1 / 3, 4))
    assert (got.recall_won, got.recall_opportunity) == (0.5, round(2 / 3, 4))
    assert got.median_days_earlier == 2.0  # MQL on day 2, really on day 4
    assert (got.won_leads, got.opportunity_leads) == (2, 3)


def test_backtest_lists_the_leads_whose_decision_changes() -> None:
    crosses_at_35 = past((1, (ev("pricing_page_view"),)))  # 35
    crosses_at_55 = past((1, (ev("pricing_page_view"),)), (2, (ev("webinar_attended"),)))
    result = backtest([crosses_at_35, crosses_at_55], live=model(50), candidate=model(30))
    assert result.newly_mql == (crosses_at_35.lead_id,)
    assert result.no_longer_mql == ()
    assert (result.live.mqls, result.candidate.mqls, result.recorded.mqls) == (1, 2, 0)
    back = backtest([crosses_at_35, crosses_at_55], live=model(30), candidate=model(50))
    assert back.no_longer_mql == (crosses_at_35.lead_id,)


def test_lift_and_its_interval() -> None:
    got = lift(8, 20, 4, 40)  # 40% against 10%
    assert got is not None
    assert (got.ratio, got.low, got.high) == (4.0, 1.37, 11.7)
    zero = lift(0, 20, 5, 40)  # half a lead in each cell keeps it finite
    assert zero is not None and zero.ratio == 0.18 and zero.low < 1 < zero.high
    assert lift(1, 0, 1, 10) is None


def _history(with_rule: int, won_with: int, without: int, won_without: int) -> ScoringHistory:
    ids = [uuid.uuid4() for _ in range(with_rule + without)]
    breakdowns = {i: ({"webinar_attended": 20} if n < with_rule else {}) for n, i in enumerate(ids)}
    wins = set(ids[:won_with]) | set(ids[with_rule : with_rule + won_without])
    return ScoringHistory(breakdowns=breakdowns, triggered={}, opportunities=set(), wins=wins)


@pytest.mark.parametrize(
    ("history", "verdict", "suggested"),
    [
        (_history(20, 8, 40, 4), "raise", 30),  # lift 4: two doublings, +10
        (_history(20, 1, 40, 8), "keep", None),  # 0.25 lift, but the interval spans 1
        (_history(40, 1, 40, 16), "lower", 5),  # lift 1/16 (CI below 1): -15 at most
        (_history(9, 9, 40, 4), "not enough data", None),  # fewer than 10 leads with it
        (_history(20, 2, 40, 2), "not enough data", None),  # 4 wins in all: below the floor
    ],
)
def test_a_rule_proposal_rests_on_the_interval(
    history: ScoringHistory, verdict: str, suggested: int | None
) -> None:
    (got,) = proposals(history, [("webinar_attended", 20)], str.upper)
    assert (got.verdict, got.suggested_points) == (verdict, suggested)
    assert got.label == "WEBINAR_ATTENDED"
    assert got.basis == (None if verdict == "not enough data" else "won")


def test_a_proposal_never_takes_a_rule_past_zero() -> None:
    (small,) = proposals(_history(40, 1, 40, 16), [("webinar_attended", 3)], str)
    assert (small.verdict, small.suggested_points) == ("remove", 0)  # not 3 - 15 = -12
    (negative,) = proposals(_history(20, 8, 40, 4), [("webinar_attended", -5)], str)
    assert (negative.verdict, negative.suggested_points) == ("remove", 0)  # not -5 + 10
