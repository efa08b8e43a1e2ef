"""Multi-touch attribution (nurture.rules.attribution, attribution_figures): the models'
shares, which touches an outcome credits, and rounding that keeps the totals exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from nurture.rules.attribution import (
    NO_CAMPAIGN,
    AttributionModel,
    Credit,
    Deal,
    Journey,
    TouchAt,
    attribute,
    shares,
)
from nurture.rules.attribution_figures import CampaignInfo, apportion, rows, total

M = AttributionModel
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def _touches(*campaigns: str) -> tuple[TouchAt, ...]:
    return tuple(TouchAt(c, _at(i)) for i, c in enumerate(campaigns))


def test_the_four_models_on_three_touches() -> None:
    path = ["wp", "expo", "ads"]
    assert shares(M.FIRST, path) == {"wp": 1}
    assert shares(M.LAST, path) == {"ads": 1}
    assert shares(M.LINEAR, path) == {
        "wp": Fraction(1, 3),
        "expo": Fraction(1, 3),
        "ads": Fraction(1, 3),
    }
    assert shares(M.POSITION, path) == {
        "wp": Fraction(2, 5),
        "expo": Fraction(1, 5),
        "ads": Fraction(2, 5),
    }


def test_position_splits_the_middle_and_halves_two_touches() -> None:
    five = shares(M.POSITION, ["a", "b", "c", "d", "e"])
    assert five == {
        "a": Fraction(2, 5),
        "b": Fraction(1, 15),
        "c": Fraction(1, 15),
        "d": Fraction(1, 15),
        "e": Fraction(2, 5),
    }
    assert shares(M.POSITION, ["a", "b"]) == {"a": Fraction(1, 2), "b": Fraction(1, 2)}


@pytest.mark.parametrize("model", list(M))
def test_one_touch_takes_everything_and_none_goes_to_no_campaign(model: AttributionModel) -> None:
    assert shares(model, ["wp"]) == {"wp": 1}
    assert shares(model, []) == {NO_CAMPAIGN: 1}


@pytest.mark.parametrize("model", list(M))
def test_a_campaign_touching_twice_adds_its_shares(model: AttributionModel) -> None:
    got = shares(model, ["wp", "ads", "wp"])
    assert sum(got.values()) == 1
    expected = {
        M.FIRST: {"wp": 1},
        M.LAST: {"wp": 1},
        M.LINEAR: {"wp": Fraction(2, 3), "ads": Fraction(1, 3)},
        M.POSITION: {"wp": Fraction(4, 5), "ads": Fraction(1, 5)},
    }
    assert got == expected[model]


def test_a_deal_credits_the_touches_up_to_its_opportunity() -> None:
    """wp, expo, then the opportunity; an ads touch after it earns none of the revenue, but
    counts for an MQL that came later still."""
    journey = Journey(
        touches=(TouchAt("wp", _at(0)), TouchAt("expo", _at(5)), TouchAt("ads", _at(20))),
        mql_at=_at(30),
        deals=(Deal(_at(10), Decimal(800), _at(40), Decimal(1000)),),
    )
    last = attribute([journey], M.LAST)
    assert last["expo"].won_revenue == 1000 and last["expo"].pipeline == 800
    assert last["expo"].opportunities == 1
    assert last["ads"].mqls == 1 and last["ads"].won_revenue == 0


def test_a_touch_at_the_very_moment_counts() -> None:
    journey = Journey(touches=(TouchAt("wp", _at(0)),), mql_at=_at(0))
    assert attribute([journey], M.FIRST)["wp"].mqls == 1


def test_the_window_picks_outcomes_not_touches() -> None:
    """An opportunity of October won in November: the November report has its revenue
    (credited to an October touch) but not the opportunity."""
    journey = Journey(
        touches=(TouchAt("wp", _at(-24 * 40)),),
        mql_at=_at(-24 * 35),
        deals=(Deal(_at(-24 * 30), Decimal(500), _at(24), Decimal(600)),),
    )
    november = attribute([journey], M.LINEAR, T0 - timedelta(days=1), T0 + timedelta(days=29))
    assert november["wp"].won_revenue == 600
    assert november["wp"].opportunities == 0 and november["wp"].mqls == 0


def test_outcomes_without_a_touch_before_them_go_to_no_campaign() -> None:
    journey = Journey(
        touches=(TouchAt("late", _at(50)),),
        mql_at=_at(1),
        deals=(Deal(_at(2), Decimal(0), _at(3), Decimal(700)),),
    )
    credit = attribute([journey], M.POSITION)
    assert credit[NO_CAMPAIGN].mqls == 1 and credit[NO_CAMPAIGN].won_revenue == 700
    assert "late" not in credit


def test_apportion_keeps_the_sum_and_breaks_ties_by_key() -> None:
    thirds = {"a": Fraction(100, 3), "b": Fraction(100, 3), "c": Fraction(100, 3)}
    assert apportion(thirds, 2) == {
        "a": Decimal("33.34"),
        "b": Decimal("33.33"),
        "c": Decimal("33.33"),
    }
    got = apportion({"x": Fraction(2, 3), "y": Fraction(1, 3)}, 4)
    assert got == {"x": Decimal("0.6667"), "y": Decimal("0.3333")}
    assert sum(got.values()) == 1


def test_rows_add_up_to_the_total_and_show_costs_and_roi() -> None:
    credits = {
        "wp": Credit(won_revenue=Fraction(1000, 3), mqls=Fraction(1, 3)),
        "ads": Credit(won_revenue=Fraction(2000, 3), mqls=Fraction(2, 3)),
    }
    known = {"wp": CampaignInfo("wp", "Whitepaper", "whitepaper", Decimal(100))}
    table = rows(credits, {"wp": 2, "ads": 1, "seo": 1}, known)
    assert [r.key for r in table] == ["ads", "seo", "wp"]
    ads, seo, wp = table
    assert (ads.name, ads.channel, ads.cost, ads.roi) == ("ads", "unknown", None, None)
    assert ads.won_revenue == Decimal("666.67") and wp.won_revenue == Decimal("333.33")
    assert wp.roi == Decimal("2.3333") and seo.won_revenue == 0 and seo.touched_leads == 1
    whole = total(table, touched_leads=3)
    assert whole.won_revenue == Decimal(1000) and whole.mqls == 1 and whole.cost == 100
    # ROI over the campaigns with a cost only: ads' 666.67 of unknown cost is not wp's
    assert whole.roi == Decimal("2.3333") == wp.roi
